package dev.depthwise.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import dev.depthwise.train.CommandErrors;

/** The {@code depthwise} command line: one small class per sub-command, each only parsing and calling the library. */
@Command(name = "depthwise", mixinStandardHelpOptions = true, version = "depthwise 0.1.0",
        description = "Efficient image segmentation and classification on ordinary CPUs, in pure Java.",
        subcommands = {
                // One line per command; keep sorted.
                CommandLine.HelpCommand.class,
                ClassifyCommand.class,
                DatasetCommand.class,
                DemoCommand.class,
                DownloadCommand.class,
                EvalCommand.class,
                ExportCommand.class,
                GenerateCommand.class,
                SegmentCommand.class,
                ServeCommand.class,
                SummaryCommand.class,
                TrainCommand.class,
        })
public final class Main implements Runnable {
    @CommandLine.Option(names = CommandErrors.STACK_TRACE, scope = CommandLine.ScopeType.INHERIT,
            description = "On an error, print its stack trace after the one-line message (for a bug report).")
    boolean stackTrace;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(commandLine(), args));
    }

    /**
     * Runs {@code cl}; running out of heap (a big --batch-size or --image-size, a huge image) is an Error that
     * picocli lets through, so it is turned into one line with advice here instead of a stack trace.
     */
    static int execute(CommandLine cl, String... args) {
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            cl.getErr().printf("depthwise: out of Java heap (max %d MiB): use a smaller --batch-size, --image-size "
                    + "or image, or give Java more with DEPTHWISE_JAVA_OPTS=-Xmx...%n",
                    Runtime.getRuntime().maxMemory() >> 20);
            cl.getErr().flush();
            return 1;
        }
    }

    /** The configured command line; tests call {@code commandLine().execute(...)}. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // A user error (bad file, bad shape) is one clear line, not a stack trace.
        cl.setExecutionExceptionHandler(CommandErrors.oneLine("depthwise"));
        cl.setParameterExceptionHandler(CommandErrors.usageInOneLine("depthwise"));
        return cl;
    }
}
