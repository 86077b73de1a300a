package dev.depthwise.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

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
            line.getErr().println("depthwise: " + describe(ex));
            if (Boolean.getBoolean("depthwise.debug")) {
                ex.printStackTrace(line.getErr());
            }
            return 1;
        });
        return cl;
    }

    /**
     * One line for an error. The JDK's file-system exceptions carry only the path as their message
     * ("depthwise: /data/x" says nothing), so their kind is spelled out.
     */
    static String describe(Throwable ex) {
        if (ex instanceof FileSystemException fs && fs.getReason() == null) {
            String what = ex instanceof NoSuchFileException ? "no such file or directory"
                    : ex instanceof AccessDeniedException ? "permission denied"
                    : ex instanceof FileAlreadyExistsException ? "already exists (and is in the way)"
                    : ex instanceof NotDirectoryException ? "not a directory"
                    : ex instanceof DirectoryNotEmptyException ? "directory not empty"
                    : "file-system error (" + ex.getClass().getSimpleName() + ")";
            String other = fs.getOtherFile() != null ? " -> " + fs.getOtherFile() : "";
            return fs.getFile() + other + ": " + what;
        }
        return ex.getMessage() != null ? ex.getMessage() : ex.toString();
    }
}
