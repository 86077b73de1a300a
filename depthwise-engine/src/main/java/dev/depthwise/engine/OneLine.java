package dev.depthwise.engine;

/**
 * Makes text from outside (a tensor name from a file's header, a pickle's global, a decoder's message) safe to
 * put in a one-line error message: control characters are escaped and the text is cut to a readable length,
 * so a hostile file can neither break the line nor flood the terminal.
 */
public final class OneLine {
    /** Enough for any real name or message; a longer one is cut, saying so. */
    public static final int MAX_CHARS = 400;

    private OneLine() {
    }

    public static String of(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_CHARS) + 16);
        for (int i = 0; i < text.length() && out.length() < MAX_CHARS; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (out.length() >= MAX_CHARS && text.length() > MAX_CHARS) {
            out.setLength(MAX_CHARS);
            out.append("... (").append(text.length()).append(" characters)");
        }
        return out.toString();
    }
}
