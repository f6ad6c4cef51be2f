package org.openaimoodle.sidecar.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** Free loopback ports for the programs under test. */
public final class Ports {
    private Ports() {
    }

    /**
     * @return a port that was free a moment ago: the kernel's pick, released at once for the program under test
     *         to bind (or for a test that needs a port where nothing listens)
     */
    public static int free() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
