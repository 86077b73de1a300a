package dev.depthwise.spark;

import dev.depthwise.train.CommandErrors;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code spark-submit --class dev.depthwise.spark.SparkMain depthwise-spark.jar COMMAND ...}: segment, classify or
 * train on a Spark cluster. One small class per job, each only parsing and calling the library.
 */
@Command(name = "depthwise-spark", mixinStandardHelpOptions = true, version = "depthwise-spark 0.1.0",
        description = "Depthwise on Apache Spark: segment or classify folders of images into Parquet, "
                + "train data-parallel.",
        subcommands = {CommandLine.HelpCommand.class, ExchangeJob.class, ClassifyJob.class, SegmentJob.class,
                TrainJob.class})
public final class SparkMain implements Runnable {
    @CommandLine.Option(names = CommandErrors.STACK_TRACE, scope = CommandLine.ScopeType.INHERIT,
            description = "On an error, print its stack trace after the one-line message (for a bug report).")
    boolean stackTrace;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        int status = commandLine().execute(args);
        SparkSession.getActiveSession().foreach(session -> {
            session.stop();
            return null;
        });
        if (status != 0) {
            System.exit(status);
        }
    }

    /** The configured command line: a user error is one line, as in the {@code depthwise} command. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new SparkMain());
        cl.setExecutionExceptionHandler(CommandErrors.oneLine("depthwise-spark"));
        return cl;
    }

    /** The job's Spark session: spark-submit's settings, or the session a caller already has. */
    static SparkSession session(String job) {
        return SparkSession.builder().appName("depthwise " + job).getOrCreate();
    }
}
