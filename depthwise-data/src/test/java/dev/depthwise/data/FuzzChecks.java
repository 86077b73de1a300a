package dev.depthwise.data;

/** What every refusal of outside bytes promises: one line, starting with the name of what was refused. */
final class FuzzChecks {
    private FuzzChecks() {
    }

    static void oneLineNaming(String name, Exception e) {
        String message = e.getMessage();
        if (message == null || !message.startsWith(name + ": ") || message.contains("\n") || message.contains("\r")) {
            throw new AssertionError("not one line naming " + name + ": " + message, e);
        }
    }
}
