package dev.depthwise.serve;

/** A request the server refuses: an HTTP status and a message naming the problem, sent as JSON. */
final class ApiException extends RuntimeException {
    final int status;

    ApiException(int status, String message) {
        super(message);
        this.status = status;
    }
}
