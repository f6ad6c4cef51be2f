<?php
// What the Moodle plugin (local_openai_assistant) does to reach the sidecar, in its own language:
// POST the request to OPENAI_SIDECAR_HTTP_URL (30 s timeout); on a connection error or a non-2xx answer,
// spawn the launcher with the original flags and one JSON line on stdin. Replies without `success` are
// rejected. Driven by PhpClientIT.
//
// Usage: php plugin_client.php REQUEST_JSON
// Environment: OPENAI_SIDECAR_HTTP_URL, SIDECAR_LAUNCHER (the launcher's path), PLUGIN_API_KEY,
//              PLUGIN_BASE_URL, PLUGIN_MODEL, PLUGIN_MAX_TOKENS, PLUGIN_SUMMARIZE_THRESHOLD
// Output: `via=http` or `via=stdio`, then the reply as one JSON line. Exit 1 when no valid reply came.

$request = $argv[1] ?? '';
$url = getenv('OPENAI_SIDECAR_HTTP_URL') ?: 'http://127.0.0.1:8081/ai';

function accept_reply(string $body): ?array {
    $reply = json_decode($body, true);
    return (is_array($reply) && array_key_exists('success', $reply)) ? $reply : null;
}

$ch = curl_init($url);
curl_setopt_array($ch, [
    CURLOPT_POST => true,
    CURLOPT_POSTFIELDS => $request,
    CURLOPT_HTTPHEADER => ['Content-Type: application/json'],
    CURLOPT_RETURNTRANSFER => true,
    CURLOPT_TIMEOUT => 30,
]);
$body = curl_exec($ch);
$status = curl_getinfo($ch, CURLINFO_HTTP_CODE);
$error = curl_error($ch);
curl_close($ch);

if ($body !== false && $status >= 200 && $status < 300) {
    $reply = accept_reply($body);
    if ($reply === null) {
        fwrite(STDERR, "HTTP reply without success: $body\n");
        exit(1);
    }
    echo "via=http\n", json_encode($reply), "\n";
    exit(0);
}
fwrite(STDERR, "HTTP failed (status $status, $error); falling back to stdio\n");

$command = [
    getenv('SIDECAR_LAUNCHER'),
    '--api-key=' . getenv('PLUGIN_API_KEY'),
    '--base-url=' . getenv('PLUGIN_BASE_URL'),
    '--model=' . getenv('PLUGIN_MODEL'),
    '--max-tokens=' . getenv('PLUGIN_MAX_TOKENS'),
    '--summarize-threshold=' . getenv('PLUGIN_SUMMARIZE_THRESHOLD'),
];
$process = proc_open($command, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
if (!is_resource($process)) {
    fwrite(STDERR, "cannot spawn the launcher\n");
    exit(1);
}
fwrite($pipes[0], $request . "\n");
fclose($pipes[0]);
$out = stream_get_contents($pipes[1]);
$err = stream_get_contents($pipes[2]);
fclose($pipes[1]);
fclose($pipes[2]);
$exit = proc_close($process);
$reply = accept_reply(trim($out));
if ($reply === null) {
    fwrite(STDERR, "stdio reply without success (exit $exit): $out\n$err\n");
    exit(1);
}
echo "via=stdio\n", json_encode($reply), "\n";
exit(0);
