package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.Callable;

import org.openaimoodle.sidecar.common.ExitCodes;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code sidecarctl version}: prints the version. */
@Command(name = "version", description = "Prints the version of openai-moodle-sidecar. Exit 0.")
final class VersionCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.out.println("openai-moodle-sidecar " + version());
        return ExitCodes.OK;
    }

    /** The project version, written into the jar at build time. */
    static String version() {
        try (InputStream in = VersionCommand.class.getResourceAsStream("version.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Serves {@code sidecarctl --version}. */
    static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"openai-moodle-sidecar " + version()};
        }
    }
}
