package org.openaimoodle.sidecar.worker;

/** Entry point of the worker (placeholder until the worker is built). */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.out.println("worker");
    }
}
