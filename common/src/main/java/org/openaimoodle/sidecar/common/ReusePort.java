package org.openaimoodle.sidecar.common;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;

/**
 * Whether two listening sockets may share a port here ({@code SO_REUSEPORT}): then a supervised worker listens
 * with it and a restart starts the new worker beside the old one. Supervisor and worker must agree, so both ask
 * here. The system property {@value #PROPERTY}{@code =off} (e.g. in {@code SIDECAR_JAVA_OPTS}, which every JVM of
 * the sidecar gets) makes both behave as on a platform without it: restarts stop the worker first.
 */
public final class ReusePort {
    /** The system property that turns side-by-side restarts off ({@code off}). */
    public static final String PROPERTY = "sidecar.reuse-port";

    private ReusePort() {
    }

    /** @return whether the platform offers {@code SO_REUSEPORT} and {@value #PROPERTY} does not turn it off */
    public static boolean supported() {
        if ("off".equals(System.getProperty(PROPERTY))) {
            return false;
        }
        try (ServerSocketChannel channel = ServerSocketChannel.open()) {
            return channel.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
