package org.openaimoodle.sidecar.worker.http;

/**
 * HTTP mode could not listen on the configured address, almost always because another process holds the port.
 * The message names the address and what to do; {@code Main} prints it and exits 1.
 */
public final class PortUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param host the configured SIDECAR_HOST
     * @param port the configured SIDECAR_PORT
     */
    public PortUnavailableException(String host, int port) {
        super("cannot listen on " + host + ":" + port + ": the address is in use by another process (or "
                + "not available on this host). Stop that process, or set SIDECAR_PORT to a free port "
                + "(and SIDECAR_HOST to a local address).");
    }
}
