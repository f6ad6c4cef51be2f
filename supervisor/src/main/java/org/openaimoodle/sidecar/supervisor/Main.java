package org.openaimoodle.sidecar.supervisor;

/** Entry point of the supervisor (placeholder until the supervisor is built). */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.out.println("supervisor");
    }
}
