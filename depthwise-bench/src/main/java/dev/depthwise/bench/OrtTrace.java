package dev.depthwise.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What ONNX Runtime's profiler wrote (its JSON trace, {@code SessionOptions.enableProfiling}): each node's time in
 * the runs the caller timed. The trace holds one {@code model_run} event per {@code session.run} and, inside it, one
 * {@code Node} event per node of the optimised graph ({@code NAME_kernel_time}); the caller says which of its calls
 * were timed, and the trace's runs are matched to its calls from the last one back (the harness runs the session
 * once more than it is called, to learn the output's shape).
 *
 * @param nodes       the optimised graph's nodes in the order they ran, with their median times over the timed runs
 * @param runMicros   the median {@code model_run} time over the timed runs
 */
record OrtTrace(List<Node> nodes, long runMicros) {
    /** One node of the optimised graph: its name (as the exported node it came from, or ONNX Runtime's own). */
    record Node(String name, String op, long medianMicros) {
    }

    private static final String NODE_SUFFIX = "_kernel_time";

    /** Reads {@code trace}; {@code timed.get(i)} says whether the caller timed its call {@code i}. */
    static OrtTrace read(Path trace, List<Boolean> timed) throws IOException {
        return of(new ObjectMapper().readTree(trace.toFile()), timed, trace.toString());
    }

    static OrtTrace of(JsonNode events, List<Boolean> timed, String source) {
        List<JsonNode> runs = new ArrayList<>();
        List<JsonNode> nodeEvents = new ArrayList<>();
        for (JsonNode e : events) {
            String name = e.path("name").asText();
            if ("Session".equals(e.path("cat").asText()) && "model_run".equals(name)) {
                runs.add(e);
            } else if ("Node".equals(e.path("cat").asText()) && name.endsWith(NODE_SUFFIX)) {
                nodeEvents.add(e);
            }
        }
        Comparator<JsonNode> byStart = Comparator.comparingLong(e -> e.path("ts").asLong());
        runs.sort(byStart);
        nodeEvents.sort(byStart);
        if (runs.size() < timed.size()) {
            throw new IllegalStateException(source + ": " + runs.size() + " model_run events for " + timed.size()
                    + " calls; was profiling on from the session's start?");
        }
        int firstCall = runs.size() - timed.size();
        long[] starts = runs.stream().mapToLong(e -> e.path("ts").asLong()).toArray();
        Map<String, List<Long>> durations = new LinkedHashMap<>();
        Map<String, String> ops = new LinkedHashMap<>();
        for (JsonNode e : nodeEvents) {
            long ts = e.path("ts").asLong();
            int run = Arrays.binarySearch(starts, ts);
            run = run >= 0 ? run : -run - 2; // the last run that started at or before the node
            if (run < firstCall || ts > starts[run] + runs.get(run).path("dur").asLong()
                    || !timed.get(run - firstCall)) {
                continue;
            }
            String name = e.path("name").asText();
            name = name.substring(0, name.length() - NODE_SUFFIX.length());
            durations.computeIfAbsent(name, k -> new ArrayList<>()).add(e.path("dur").asLong());
            ops.putIfAbsent(name, e.path("args").path("op_name").asText("?"));
        }
        List<Node> nodes = new ArrayList<>();
        durations.forEach((name, d) -> nodes.add(new Node(name, ops.get(name), median(d))));
        List<Long> runDurations = new ArrayList<>();
        for (int i = firstCall; i < runs.size(); i++) {
            if (timed.get(i - firstCall)) {
                runDurations.add(runs.get(i).path("dur").asLong());
            }
        }
        if (runDurations.isEmpty()) {
            throw new IllegalStateException(source + ": no timed model_run events");
        }
        return new OrtTrace(List.copyOf(nodes), median(runDurations));
    }

    private static long median(List<Long> values) {
        return Measurement.median(values.stream().mapToLong(Long::longValue).toArray());
    }
}
