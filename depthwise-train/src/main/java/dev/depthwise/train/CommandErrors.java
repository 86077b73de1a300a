package dev.depthwise.train;

import dev.depthwise.engine.OneLine;
import dev.depthwise.engine.IoErrors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * How the command lines ({@code depthwise}, {@code depthwise-spark}) report a failure: one line naming what is at
 * fault, and the stack trace only when {@value #STACK_TRACE} asks for it (an option each root command declares for
 * its subcommands to inherit).
 */
public final class CommandErrors {
    public static final String STACK_TRACE = "--stack-trace";

    private CommandErrors() {
    }

    /** The handler that prints {@code program: message} for any exception a command throws, and exits with 1. */
    public static CommandLine.IExecutionExceptionHandler oneLine(String program) {
        return (ex, line, parsed) -> {
            line.getErr().println(program + ": " + message(ex));
            if (stackTraceAsked(parsed)) {
                ex.printStackTrace(line.getErr());
            }
            return 1;
        };
    }

    /**
     * The handler for a mistyped option or argument: {@code program: message; see 'COMMAND --help'} in one line, with
     * picocli's "did you mean" suggestions, and its exit status for invalid input (2). Picocli's own prints the whole
     * usage text after the message, which pushes the message off a small terminal.
     */
    public static CommandLine.IParameterExceptionHandler usageInOneLine(String program) {
        return (ex, args) -> {
            CommandLine at = ex.getCommandLine();
            String hint = ex instanceof CommandLine.UnmatchedArgumentException unmatched
                    && !unmatched.getSuggestions().isEmpty()
                    ? " (did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?)" : "";
            at.getErr().println(program + ": " + OneLine.of(ex.getMessage()) + hint + "; see '"
                    + at.getCommandSpec().qualifiedName(" ") + " --help'");
            return at.getCommandSpec().exitCodeOnInvalidInput();
        };
    }

    /** A command line for {@code command} whose usage errors are one line ({@link #usageInOneLine}). */
    public static CommandLine withOneLineUsage(Object command, String program) {
        CommandLine cl = new CommandLine(command);
        cl.setParameterExceptionHandler(usageInOneLine(program));
        return cl;
    }

    /**
     * The failure's description in one line. A failed Spark job's message spans many: a generic first line ("Job
     * aborted due to stage failure: ... barrier task ... finished unsuccessfully."), then the executor's exception
     * as {@code class: message} and its stack trace, then its causes; what went wrong is the message of the last
     * of those exceptions, so that is the line given. A one-line description is given as it is.
     */
    public static String message(Throwable ex) {
        String text = IoErrors.describe(ex);
        String[] lines = text.split("\\R");
        String chosen = lines[0];
        for (String line : lines) {
            Matcher m = REMOTE_EXCEPTION.matcher(line.strip());
            if (m.matches()) {
                chosen = m.group(1);
            }
        }
        return OneLine.of(chosen.stripTrailing());
    }

    /** A line {@code [Caused by: ]some.package.SomeException: message} of a stack trace printed into a message. */
    private static final Pattern REMOTE_EXCEPTION =
            Pattern.compile("(?:Caused by: )?(?:[A-Za-z_$][\\w$]*\\.)+[A-Za-z_$][\\w$]*(?:Exception|Error): (.+)");

    private static boolean stackTraceAsked(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption(STACK_TRACE)) {
                return true;
            }
        }
        return false;
    }
}
