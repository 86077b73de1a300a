package dev.depthwise.train;

import dev.depthwise.data.Augmentation;
import dev.depthwise.data.Batch;
import dev.depthwise.data.DecodeLimits;
import dev.depthwise.data.LoaderOptions;
import dev.depthwise.data.Dataset;
import dev.depthwise.data.DatasetCheck;
import dev.depthwise.data.Datasets;
import dev.depthwise.data.PetLoader;
import dev.depthwise.data.SkippedFiles;
import dev.depthwise.data.Split;
import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.WinogradPolicy;
import dev.depthwise.io.AtomicFiles;
import dev.depthwise.io.WeightFiles;
import dev.depthwise.models.MobileNetV2Segmenter;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Dropout;
import dev.depthwise.nn.Conv2d;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.StateDictException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The training loop of a segmentation run, as the article's: per epoch, set the scheduled learning rate,
 * train over the shuffled, augmented trainval split, then evaluate on the test split and write the test
 * metrics, a prediction grid ({@code epochs/epoch-NN.png}) and a checkpoint ({@code last.safetensors}).
 * With a validation carve ({@link RunConfig#validationFraction}, {@link ValidationCarve}) the epoch with the best
 * validation mean IoU is also kept as {@code best.safetensors}; without one no epoch is chosen, and never one on
 * the test split. At the end, {@code report.html}.
 *
 * <p>A run is a pure function of its {@link RunConfig}: the model's initialisation comes from the seed,
 * the data order and augmentation from (seed, epoch), dropout from (seed, epoch). So training 2 epochs, or
 * 1 epoch and then resuming for 1 more, gives the same weights bit for bit.
 */
public final class Trainer {
    public static final String LAST = "last.safetensors";
    public static final String BEST = "best.safetensors";

    /** The run as asked; {@link #run} completes it with what the dataset says (layout, classes). */
    private final RunConfig requested;
    private final Path outDir;
    private final Progress progress;
    private final int loaderThreads;
    private final WorkerGroup workers;
    private final DecodeLimits decodeLimits;
    private WinogradPolicy winograd = WinogradPolicy.COST_MODEL;

    /** What a finished run leaves behind. */
    public record Result(List<EpochRecord> history, Path lastCheckpoint, Path bestCheckpoint, Path report,
                         int skippedFiles) {
        public EpochRecord last() {
            return history.get(history.size() - 1);
        }

        /** The epoch the run keeps: the best by validation mean IoU when it has a validation carve, else the last. */
        public EpochRecord chosen() {
            return EpochRecord.kept(history);
        }
    }

    public Trainer(RunConfig config, Path outDir, Progress progress, int loaderThreads) {
        this(config, outDir, progress, loaderThreads, WorkerGroup.SINGLE, DecodeLimits.DEFAULT);
    }

    /**
     * One worker of a data-parallel run ({@link WorkerGroup}): it trains on its shard; only the writing worker
     * evaluates and fills {@code outDir}, and only its {@link Result} has a history.
     */
    public Trainer(RunConfig config, Path outDir, Progress progress, int loaderThreads, WorkerGroup workers) {
        this(config, outDir, progress, loaderThreads, workers, DecodeLimits.DEFAULT);
    }

    /** @param decodeLimits what an image or mask may declare before it is decoded (else it is skipped) */
    public Trainer(RunConfig config, Path outDir, Progress progress, int loaderThreads, WorkerGroup workers,
                   DecodeLimits decodeLimits) {
        this.requested = config;
        this.outDir = outDir;
        this.progress = progress;
        this.loaderThreads = Math.max(1, loaderThreads);
        this.workers = workers;
        this.decodeLimits = decodeLimits;
    }

    /**
     * Which dense 3×3 convs run as Winograd convolutions (default {@link WinogradPolicy#COST_MODEL}, where the cost
     * model expects them faster: SegNet's step about 1.4x faster; {@link WinogradPolicy#NEVER}, direct convolution
     * everywhere, to compare; see docs/benchmarks/winograd.md). The results differ by float rounding only.
     */
    public Trainer withWinograd(WinogradPolicy policy) {
        if (policy == null) {
            throw new IllegalArgumentException("trainer: the Winograd policy must not be null");
        }
        this.winograd = policy;
        return this;
    }

    /**
     * The configuration a resumed run continues with: the one saved in {@code outDir/last.safetensors}, with
     * the epoch count replaced by {@code epochs} when it is given (to extend a finished run).
     */
    public static RunConfig resumedConfig(Path outDir, Integer epochs) throws IOException {
        Path last = outDir.resolve(LAST);
        if (!Files.exists(last)) {
            throw new IOException("cannot resume: no checkpoint " + last);
        }
        CheckpointInfo info = Checkpoint.read(last).info();
        if (epochs != null && epochs < info.epoch()) {
            throw new IllegalArgumentException("cannot resume to " + epochs + " epochs: " + last + " has done "
                    + info.epoch() + " already (give " + info.epoch() + " or more to train further)");
        }
        return epochs == null ? info.config() : info.config().withEpochs(epochs);
    }

    /** How {@link #run(Start)} treats the run directory. */
    public enum Start {
        /** A new run; refused with a {@link RunExistsException} when the directory already holds one. */
        NEW,
        /** Continue the run in the directory from its {@code last.safetensors}. */
        RESUME,
        /** Delete the run the directory holds (checkpoints, epoch grids, report, charts, split), then start anew. */
        OVERWRITE
    }

    /** A new run was asked for in a directory that holds one: training there would replace its checkpoints. */
    public static final class RunExistsException extends IOException {
        private final Path dir;

        RunExistsException(Path dir, String what) {
            super(dir + " already holds a run (" + what + ")");
            this.dir = dir;
        }

        public Path dir() {
            return dir;
        }
    }

    /**
     * Trains a new run, or continues the one in the run directory. The dataset's layout and classes are found
     * first; the model gets one output per class. Everything that can be checked is checked before the run
     * directory is created or touched: the {@link Start} policy, the data, that the model takes the image size;
     * stale temporary files of an interrupted save are removed.
     */
    public Result run(Start start) throws IOException {
        boolean resume = start == Start.RESUME;
        List<String> runFiles = runFiles(outDir);
        if (start == Start.NEW && !runFiles.isEmpty()) {
            throw new RunExistsException(outDir, describeRun(outDir, runFiles));
        }
        // A bad --init or --encoder-weights file is named now, not after a long dataset scan.
        Checkpoint.Contents init = resume ? null : readInit(requested);
        Map<String, Tensor> encoder = resume ? null : readEncoder(requested);
        // A replaced run's saved split is not the new run's.
        Dataset data = Datasets.open(Path.of(requested.dataDir()),
                requested.dataset().openOptions(requested.seed(), start == Start.OVERWRITE ? null : outDir));
        data.warnings().forEach(w -> progress.message("warning: " + w));
        // A resumed run keeps the pairs it held out, as saved, even if the dataset folder has changed since.
        ValidationCarve saved = resume && requested.hasValidationCarve()
                ? ValidationCarve.read(data, outDir, w -> progress.message("warning: " + w)) : null;
        ValidationCarve carve = saved != null ? saved
                : ValidationCarve.draw(data, requested.validationFraction(), requested.seed());
        if (workers.writes()) {
            // The checks of 'dataset check', in one line; a faulty file is skipped (and named) when it is loaded.
            progress.message(DatasetCheck.run(data, decodeLimits).summaryLine());
        }
        RunConfig config = requested.withDataset(requested.dataset().resolve(data));
        ModelSpec spec = ModelSpec.fromMap(config.model());
        if (spec.classes() != data.numClasses()) {
            if (resume) {
                throw new IllegalArgumentException(outDir + " was trained with " + spec.classes() + " classes but "
                        + config.dataDir() + " has " + data.numClasses());
            }
            config = config.withModel(spec.withClasses(data.numClasses()).toMap());
        }
        Models.checkInput(Models.create(ModelSpec.fromMap(config.model())), 3, config.imageSize(), config.imageSize());
        if (start == Start.OVERWRITE) {
            for (String name : runFiles) {
                Files.deleteIfExists(outDir.resolve(name));
            }
            deleteIfEmpty(outDir.resolve(EPOCHS));
            for (String list : List.of("train.txt", "val.txt", ValidationCarve.FILE)) {
                Files.deleteIfExists(outDir.resolve(Dataset.SPLIT_DIR).resolve(list));
            }
            deleteIfEmpty(outDir.resolve(Dataset.SPLIT_DIR));
        }
        Files.createDirectories(outDir);
        AtomicFiles.deleteStaleTemporaries(outDir);
        AtomicFiles.deleteStaleTemporaries(outDir.resolve(EPOCHS));
        AtomicFiles.deleteStaleTemporaries(outDir.resolve(Dataset.SPLIT_DIR));
        if (workers.writes()) {
            AtomicFiles.checkWritable(outDir);
            AtomicFiles.checkWritable(outDir.resolve(EPOCHS));
        }
        if (data.seededSplit() && workers.writes()) {
            data.writeSplit(outDir);
        }
        if (saved == null && config.hasValidationCarve() && workers.writes()) {
            carve.write(data, outDir);
        } else if (!resume && workers.writes()) {
            // A list left by an earlier run is not this run's carve (eval --split carve would read it).
            Files.deleteIfExists(outDir.resolve(Dataset.SPLIT_DIR).resolve(ValidationCarve.FILE));
        }
        Palette palette = Palette.of(config.classNames());
        SkippedFiles skipped = new SkippedFiles(System.err);
        boolean smallData = RunConfig.SMALL_DATA.equals(config.recipe());
        LoaderOptions trainOptions = LoaderOptions.of(config.imageSize(),
                workers.localBatchSize(config.batchSize()), config.seed()).withThreads(loaderThreads)
                .withAugmentation(smallData ? Augmentation.SMALL_DATA : Augmentation.ARTICLE)
                .withDecodeLimits(decodeLimits);
        LoaderOptions testOptions = trainOptions.withAugmentation(Augmentation.NONE);
        Loss loss = Loss.of(config.loss());

        Module model = Models.create(ModelSpec.fromMap(config.model()));
        Conv2d.setWinograd(model, winograd);
        model.skipInputGradient(); // its input is the images
        Optimizer optimizer = Optimizer.create(config.optimizer(), model.namedParameters(), config.lr(),
                config.weightDecay(), config.momentum(), config.nesterov());
        List<EpochRecord> history = new ArrayList<>();
        int startEpoch = 0;
        if (!resume) {
            loadStartingWeights(config, model, encoder, init);
        }
        if (resume) {
            Checkpoint.Contents last = Checkpoint.read(outDir.resolve(LAST));
            last.loadWeightsInto(model);
            optimizer.loadState(last.optimizerState(), last.info().optimizerSteps());
            history.addAll(last.info().history());
            startEpoch = last.info().epoch();
            progress.message("resuming " + outDir + " after epoch " + startEpoch + " of " + config.epochs());
        }
        double bestScore = history.stream().filter(r -> r.validation() != null)
                .mapToDouble(EpochRecord::selectionScore).max().orElse(Double.NEGATIVE_INFINITY);
        boolean choosing = !carve.validation().isEmpty();

        try (PetLoader train = new PetLoader(workers.shard(carve.train()), data.masks(), trainOptions, skipped);
             PetLoader validation = new PetLoader(carve.validation(), data.masks(), testOptions, skipped);
             PetLoader test = data.loader(Split.TEST, testOptions, skipped)) {
            if (carve.train().isEmpty() || test.size() == 0 || (config.hasValidationCarve() && !choosing)) {
                throw new IOException(config.dataDir() + ": need " + data.splitName(Split.TRAINVAL) + " and "
                        + data.splitName(Split.TEST) + " samples" + (config.hasValidationCarve() ? " and validation" : "")
                        + ", found " + carve.train().size() + " and " + test.size()
                        + (config.hasValidationCarve() ? " and " + carve.validation().size() : ""));
            }
            if (workers.writes()) {
                progress.message(selectionLine(config, carve, outDir));
                if (resume && !choosing && Files.exists(outDir.resolve(BEST))) {
                    progress.message("note: " + outDir.resolve(BEST) + " was chosen on the test split by an earlier "
                            + "version; it is left as it is and no longer updated");
                }
            }
            for (int epoch = startEpoch; epoch < config.epochs(); epoch++) {
                EpochRecord record = trainAndEvaluate(config, palette, model, optimizer, loss, train,
                        choosing ? validation : null, test, epoch);
                if (!workers.writes()) {
                    continue;
                }
                history.add(record);
                CheckpointInfo info = new CheckpointInfo(CheckpointInfo.FORMAT, config, epoch + 1, optimizer.steps(),
                        history);
                Checkpoint.save(outDir.resolve(LAST), model, optimizer, info);
                boolean improved = choosing && record.selectionScore() > bestScore;
                if (improved) {
                    bestScore = record.selectionScore();
                    Checkpoint.save(outDir.resolve(BEST), model, optimizer, info);
                }
                progress.endEpoch(String.format(Locale.ROOT,
                        "epoch %d/%d: train loss %.4f, test loss %.4f, pixel accuracy %.4f, IoU %.4f%s, %.1f img/s, %s",
                        record.epoch(), config.epochs(), record.trainLoss(), record.testLoss(), record.pixelAccuracy(),
                        record.iou(), choosing ? String.format(Locale.ROOT, ", validation mean IoU %.4f%s",
                                record.selectionScore(), improved ? ", best so far" : "") : "",
                        record.imagesPerSecond(), Progress.clock(record.seconds())));
            }
        }
        if (!workers.writes()) {
            return new Result(history, null, null, null, skipped.count());
        }
        if (history.isEmpty()) {
            throw new IllegalStateException("no epoch to train: the run has " + config.epochs() + " epochs");
        }
        String lastGrid = gridFile(history.size());
        Path report = TrainingReport.write(outDir, config, history,
                Files.exists(outDir.resolve(lastGrid)) ? lastGrid : null);
        if (skipped.count() > 0 || skipped.lineCount() > 0) {
            progress.message(skipped.summary());
        }
        Path best = outDir.resolve(BEST);
        return new Result(history, outDir.resolve(LAST), choosing && Files.exists(best) ? best : null, report,
                skipped.count());
    }

    /** The line at the start of a run that says which split, if any, chooses its kept epoch. */
    static String selectionLine(RunConfig config, ValidationCarve carve, Path outDir) {
        int all = carve.train().size() + carve.validation().size();
        if (carve.validation().isEmpty()) {
            return "no validation carve (--validation-fraction 0): training on all " + all + " training pairs; no "
                    + "epoch is chosen (none on the test split): the run's result is " + LAST;
        }
        return String.format(Locale.ROOT, "validation carve: %d of the %d training pairs held out (--validation-fraction"
                + " %s, seed %d; %s); %s is the epoch with the best validation mean IoU, never chosen on the test split",
                carve.validation().size(), all, config.validationFraction(), config.seed(),
                outDir.resolve(Dataset.SPLIT_DIR).resolve(ValidationCarve.FILE), BEST);
    }

    /** The prediction grid of a (1-based) epoch, relative to the run directory. */
    static String gridFile(int epoch) {
        return String.format(Locale.ROOT, EPOCHS + "/epoch-%02d.png", epoch);
    }

    private static final String EPOCHS = "epochs";
    private static final java.util.regex.Pattern GRID = java.util.regex.Pattern.compile("epoch-\\d+\\.png");

    /** The files of a run in {@code dir} (relative names): checkpoints, their sidecars, the report, charts, grids. */
    static List<String> runFiles(Path dir) throws IOException {
        List<String> found = new ArrayList<>();
        for (String name : List.of(LAST, BEST, Checkpoint.sidecar(Path.of(LAST)).toString(),
                Checkpoint.sidecar(Path.of(BEST)).toString(), TrainingReport.FILE, "loss.png", "accuracy.png", "iou.png")) {
            if (Files.isRegularFile(dir.resolve(name))) {
                found.add(name);
            }
        }
        Path epochs = dir.resolve(EPOCHS);
        if (Files.isDirectory(epochs)) {
            try (var list = Files.list(epochs)) {
                list.map(p -> p.getFileName().toString()).filter(n -> GRID.matcher(n).matches()).sorted()
                        .forEach(n -> found.add(EPOCHS + "/" + n));
            }
        }
        return found;
    }

    private static String describeRun(Path dir, List<String> runFiles) {
        try {
            if (runFiles.contains(LAST)) {
                CheckpointInfo info = Checkpoint.read(dir.resolve(LAST)).info();
                return LAST + " after epoch " + info.epoch() + " of " + info.config().epochs();
            }
        } catch (IOException | RuntimeException e) {
            // An unreadable checkpoint is still a run not to be replaced silently; name its files instead.
        }
        return runFiles.size() <= 3 ? String.join(", ", runFiles) : runFiles.size() + " files of a run";
    }

    private static void deleteIfEmpty(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            try (var list = Files.list(dir)) {
                if (list.findAny().isPresent()) {
                    return;
                }
            }
            Files.delete(dir);
        }
    }

    /**
     * One epoch (0-based): the scheduled rate, training, then the validation metrics (if any), the test metrics
     * and the prediction grid; null on a worker that does not write.
     */
    private EpochRecord trainAndEvaluate(RunConfig config, Palette palette, Module model, Optimizer optimizer,
                                         Loss loss, PetLoader train, PetLoader validation, PetLoader test, int epoch)
            throws IOException {
        double lr = config.lrScheduler().lr(epoch);
        optimizer.setLearningRate(lr);
        freezeEncoder(model, epoch < config.transfer().freezeEncoderEpochs());
        reseedDropout(model, config.seed(), epoch);
        trainEpoch(config, model, optimizer, loss, train, epoch);
        double seconds = progress.seconds();
        double imagesPerSecond = progress.imagesPerSecond();
        double trainLoss = progress.meanLoss();
        workers.averageBuffers(model);
        if (!workers.writes()) {
            return null;
        }

        Map<String, Double> validated = validation == null ? null
                : Evaluator.evaluate(model, validation, loss, config.newMetrics(), config.flipTta(), 0).metrics().summary();
        Evaluator.Result eval = Evaluator.evaluate(model, test, loss, config.newMetrics(), config.flipTta(),
                PredictionGrid.SAMPLES);
        PredictionGrid.write(outDir.resolve(gridFile(epoch + 1)), eval.samples(), palette);
        return new EpochRecord(epoch + 1, lr, trainLoss, eval.loss(), eval.metrics().summary(),
                eval.metrics().confusion().toArray(), seconds, imagesPerSecond, validated);
    }

    private void trainEpoch(RunConfig config, Module model, Optimizer optimizer, Loss loss, PetLoader train, int epoch) {
        model.train(true);
        progress.startEpoch(epoch + 1, config.epochs(), train.batchesPerEpoch());
        Tensor grad = null;
        int step = 0;
        for (Batch batch : train.epoch(epoch)) {
            if (batch.size() == 0) {
                if (workers.size() > 1) { // the exchange needs every worker; the others' step is this one's too
                    optimizer.zeroGrad();
                    if (workers.averageGradients(model, 0) > 0) {
                        optimizer.step();
                    }
                }
                continue;
            }
            optimizer.zeroGrad();
            Tensor logits = model.forward(batch.images());
            if (grad == null || !grad.hasShape(logits.shape())) {
                grad = Tensor.zeros(logits.shape());
            }
            float value = loss.value(logits, batch.masks(), grad);
            if (!Float.isFinite(value)) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "loss is %s at epoch %d step %d; try a lower learning rate", value, epoch + 1, step + 1));
            }
            model.backward(grad);
            workers.averageGradients(model, batch.size());
            optimizer.step();
            progress.step(++step, value, batch.size());
        }
        if (step == 0) {
            throw new IllegalStateException("epoch " + (epoch + 1) + ": none of the " + train.size()
                    + " trainval pairs could be read (each was skipped, see the warnings)");
        }
    }

    /**
     * The {@code --init} checkpoint of {@code config}, or null without one: read whole (a file that is missing, not
     * a checkpoint or holds non-finite weights is refused) and checked to fit the model asked for, all but the
     * head, whose class count follows the data and is not known yet.
     */
    private static Checkpoint.Contents readInit(RunConfig config) throws IOException {
        if (config.transfer().init() == null) {
            return null;
        }
        Path file = Path.of(config.transfer().init());
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--init " + file + (Files.exists(file) ? " is not a file"
                    : " does not exist"));
        }
        Checkpoint.Contents from = Checkpoint.read(file);
        String name = from.info().config().model().get("name");
        if (!name.equals(config.model().get("name"))) {
            throw new IllegalArgumentException(file + " holds a " + name + ", not a " + config.model().get("name")
                    + " (give --model " + name + ")");
        }
        ModelSpec asked = ModelSpec.fromMap(config.model()).withClasses(from.info().config().classNames().size());
        try {
            Models.create(asked).loadStateDict(from.weights(), true);
        } catch (StateDictException e) {
            throw new IllegalArgumentException(file + ": its weights do not fit the " + name + " asked for (width "
                    + asked.width() + "): " + e.getMessage(), e);
        }
        return from;
    }

    /**
     * The {@code --encoder-weights} state dict of {@code config}, or null without one: read whole and checked to
     * load into the encoder of the model asked for (a MobileNetV2 segmenter, as {@link RunConfig} requires).
     */
    private static Map<String, Tensor> readEncoder(RunConfig config) throws IOException {
        if (config.transfer().encoderWeights() == null) {
            return null;
        }
        Path file = Path.of(config.transfer().encoderWeights());
        Map<String, Tensor> state = WeightFiles.readStateDict(file);
        loadEncoder((MobileNetV2Segmenter) Models.create(ModelSpec.fromMap(config.model())), file, state);
        return state;
    }

    private static void loadEncoder(MobileNetV2Segmenter model, Path file, Map<String, Tensor> state) {
        try {
            model.loadEncoderWeights(state);
        } catch (StateDictException e) {
            throw new IllegalArgumentException(file + ": not a MobileNetV2 state dict of the model's width: "
                    + e.getMessage(), e);
        }
    }

    /**
     * The starting weights the run asks for besides the seed's: an ImageNet {@code encoder} (read by
     * {@link #readEncoder}), or the trained checkpoint {@code init} (read by {@link #readInit}).
     */
    private void loadStartingWeights(RunConfig config, Module model, Map<String, Tensor> encoder,
                                     Checkpoint.Contents init) {
        if (encoder != null) {
            Path file = Path.of(config.transfer().encoderWeights());
            loadEncoder((MobileNetV2Segmenter) model, file, encoder);
            progress.message("encoder: MobileNetV2 weights from " + file);
        }
        if (init != null) {
            Path file = init.file();
            Map<String, Tensor> own = model.stateDict();
            Map<String, Tensor> fitting = new LinkedHashMap<>();
            List<String> head = new ArrayList<>();
            init.weights().forEach((key, t) -> {
                Tensor mine = own.get(key);
                if (mine != null && !Arrays.equals(mine.shape(), t.shape())) {
                    head.add(key);
                } else {
                    fitting.put(key, t);
                }
            });
            int fromClasses = init.info().config().classNames().size();
            int classes = config.classNames().size();
            if (fromClasses == classes) {
                init.loadWeightsInto(model);
                progress.message("starting from " + file);
            } else {
                model.loadStateDict(fitting, false);
                progress.message("starting from " + file + "; its " + fromClasses + " classes are not the data's "
                        + classes + ", so the head (" + String.join(", ", head) + ") starts from the seed");
            }
        }
    }

    /** While frozen, the encoder's parameters get no updates (a fine-tuning warm-up for a new head). */
    private static void freezeEncoder(Module model, boolean frozen) {
        if (model instanceof MobileNetV2Segmenter segmenter) {
            segmenter.features().namedParameters().values().forEach(p -> p.setRequiresGrad(!frozen));
        }
    }

    /** Every dropout layer draws from (seed, epoch, layer), so a resumed epoch repeats exactly. */
    private static void reseedDropout(Module model, long seed, int epoch) {
        long epochSeed = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (epoch + 1))).nextLong();
        int layer = 0;
        for (Module m : model.namedModules().values()) {
            if (m instanceof Dropout dropout) {
                dropout.reseed(epochSeed + layer++);
            }
        }
    }
}
