package dev.depthwise.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code depthwise} command line: one small class per sub-command, each only parsing and calling the library. */
@Command(name = "depthwise", mixinStandardHelpOptions = true, version = "depthwise 0.1.0",
        description = "Efficient image segmentation and classification on ordinary CPUs, in pure Java.",
        subcommands = {
                // One line per command; keep sorted.
                CommandLine.HelpCommand.class,
                ClassifyCommand.class,
                DemoCommand.class,
                DownloadCommand.class,
                EvalCommand.class,
                ExportCommand.class,
                GenerateCommand.class,
                SegmentCommand.class,
                SummaryCommand.class,
                TrainCommand.class,
        })
public final class Main implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; tests call {@code commandLine().execute(...)}. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            // A user error (bad file, bad shape) is one clear line, not a stack trace.
            line.getErr().println("depthwise: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            if (Boolean.getBoolean("depthwise.debug")) {
                ex.printStackTrace(line.getErr());
            }
            return 1;
        });
        return cl;
    }
}
