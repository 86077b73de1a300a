package dev.depthwise.nn;

import java.util.List;

/**
 * A state dict does not fit a module: lists every missing, unexpected and mis-shaped key at once, so a
 * user fixes a checkpoint in one go instead of one key per run.
 */
public final class StateDictException extends IllegalArgumentException {
    private final List<String> missingKeys;
    private final List<String> unexpectedKeys;
    private final List<String> mismatchedKeys;

    public StateDictException(String moduleName, List<String> missingKeys, List<String> unexpectedKeys,
                              List<String> mismatchedShapes) {
        super(message(moduleName, missingKeys, unexpectedKeys, mismatchedShapes));
        this.missingKeys = List.copyOf(missingKeys);
        this.unexpectedKeys = List.copyOf(unexpectedKeys);
        this.mismatchedKeys = List.copyOf(mismatchedShapes);
    }

    private static String message(String moduleName, List<String> missing, List<String> unexpected,
                                  List<String> mismatched) {
        // One line: the command line shows an error's first line only.
        StringBuilder sb = new StringBuilder("Error(s) in loading state dict for " + moduleName + ":");
        int head = sb.length();
        if (!missing.isEmpty()) {
            sb.append(" Missing key(s) (").append(missing.size()).append("): ").append(String.join(", ", missing));
        }
        if (!unexpected.isEmpty()) {
            sb.append(sb.length() > head ? ". " : " ").append("Unexpected key(s) (").append(unexpected.size()).append("): ")
                    .append(String.join(", ", unexpected));
        }
        if (!mismatched.isEmpty()) {
            sb.append(sb.length() > head ? ". " : " ").append("Size mismatch (").append(mismatched.size()).append("): ")
                    .append(String.join("; ", mismatched));
        }
        return sb.toString();
    }

    public List<String> missingKeys() {
        return missingKeys;
    }

    public List<String> unexpectedKeys() {
        return unexpectedKeys;
    }

    /** One entry per mis-shaped key: {@code "key: checkpoint [a, b], model [c, d]"}. */
    public List<String> mismatchedKeys() {
        return mismatchedKeys;
    }
}
