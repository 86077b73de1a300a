package dev.depthwise.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes files through Hadoop's {@code FileSystem}, so that an output folder may be {@code file://},
 * {@code hdfs://} or {@code s3a://}. Carries the job's Hadoop settings (credentials, endpoints) to the executors.
 */
final class HadoopFiles implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<String, String> settings;
    private transient Configuration configuration;

    private HadoopFiles(Map<String, String> settings) {
        this.settings = settings;
    }

    /** The Hadoop settings of {@code spark}'s job. */
    static HadoopFiles of(SparkSession spark) {
        Map<String, String> settings = new HashMap<>();
        spark.sparkContext().hadoopConfiguration().forEach(e -> settings.put(e.getKey(), e.getValue()));
        return new HadoopFiles(settings);
    }

    private Configuration configuration() {
        if (configuration == null) {
            Configuration c = new Configuration(false);
            settings.forEach(c::set);
            configuration = c;
        }
        return configuration;
    }

    /** The folder as the file system qualifies it ({@code /out} becomes {@code file:/out}). */
    String qualify(String folder) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(folder);
        return p.getFileSystem(configuration()).makeQualified(p).toString();
    }

    /** Writes {@code bytes} to {@code file}, replacing it. */
    void write(String file, byte[] bytes) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(file);
        FileSystem fs = p.getFileSystem(configuration());
        try (FSDataOutputStream out = fs.create(p, true)) {
            out.write(bytes);
        }
    }
}
