package dev.depthwise.train;

import dev.depthwise.data.Augmentation;
import dev.depthwise.data.Batch;
import dev.depthwise.data.LoaderOptions;
import dev.depthwise.data.OxfordPets;
import dev.depthwise.data.PetLoader;
import dev.depthwise.data.SkippedFiles;
import dev.depthwise.engine.Tensor;
import dev.depthwise.models.ModelSpec;
import dev.depthwise.models.Models;
import dev.depthwise.nn.Dropout;
import dev.depthwise.nn.Module;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The training loop of a segmentation run, as the article's: per epoch, set the scheduled learning rate,
 * train over the shuffled, augmented trainval split, then evaluate on the test split and write the test
 * metrics, a prediction grid ({@code epochs/epoch-NN.png}) and a checkpoint ({@code last.safetensors},
 * and {@code best.safetensors} when the test IoU improved). At the end, {@code report.html}.
 *
 * <p>A run is a pure function of its {@link RunConfig}: the model's initialisation comes from the seed,
 * the data order and augmentation from (seed, epoch), dropout from (seed, epoch). So training 2 epochs, or
 * 1 epoch and then resuming for 1 more, gives the same weights bit for bit.
 */
public final class Trainer {
    public static final String LAST = "last.safetensors";
    public static final String BEST = "best.safetensors";

    private final RunConfig config;
    private final Path outDir;
    private final Progress progress;
    private final int loaderThreads;
    private final WorkerGroup workers;

    /** What a finished run leaves behind. */
    public record Result(List<EpochRecord> history, Path lastCheckpoint, Path bestCheckpoint, Path report,
                         int skippedFiles) {
        public EpochRecord last() {
            return history.get(history.size() - 1);
        }
    }

    public Trainer(RunConfig config, Path outDir, Progress progress, int loaderThreads) {
        this(config, outDir, progress, loaderThreads, WorkerGroup.SINGLE);
    }

    /**
     * One worker of a data-parallel run ({@link WorkerGroup}): it trains on its shard; only the writing worker
     * evaluates and fills {@code outDir}, and only its {@link Result} has a history.
     */
    public Trainer(RunConfig config, Path outDir, Progress progress, int loaderThreads, WorkerGroup workers) {
        this.config = config;
        this.outDir = outDir;
        this.progress = progress;
        this.loaderThreads = Math.max(1, loaderThreads);
        this.workers = workers;
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

    /** Trains from scratch, or from {@code outDir/last.safetensors} when {@code resume} is set. */
    public Result run(boolean resume) throws IOException {
        Files.createDirectories(outDir);
        OxfordPets data = OxfordPets.open(Path.of(config.dataDir()));
        SkippedFiles skipped = new SkippedFiles(System.err);
        LoaderOptions trainOptions = LoaderOptions.of(config.imageSize(),
                workers.localBatchSize(config.batchSize()), config.seed()).withThreads(loaderThreads);
        LoaderOptions testOptions = trainOptions.withAugmentation(Augmentation.NONE);
        Loss loss = Loss.of(config.loss());

        Module model = Models.create(ModelSpec.fromMap(config.model()));
        Optimizer optimizer = Optimizer.create(config.optimizer(), model.namedParameters(), config.lr(),
                config.weightDecay(), config.momentum(), config.nesterov());
        List<EpochRecord> history = new ArrayList<>();
        int startEpoch = 0;
        if (resume) {
            Checkpoint.Contents last = Checkpoint.read(outDir.resolve(LAST));
            last.loadWeightsInto(model);
            optimizer.loadState(last.optimizerState(), last.info().optimizerSteps());
            history.addAll(last.info().history());
            startEpoch = last.info().epoch();
            progress.message("resuming " + outDir + " after epoch " + startEpoch + " of " + config.epochs());
        }
        double bestIoU = history.stream().mapToDouble(EpochRecord::iou).max().orElse(Double.NEGATIVE_INFINITY);

        try (PetLoader train = new PetLoader(workers.shard(data.trainval()), trainOptions, skipped);
             PetLoader test = new PetLoader(data.test(), testOptions, skipped)) {
            if (train.size() == 0 || test.size() == 0) {
                throw new IOException(config.dataDir() + ": need both trainval and test samples, found "
                        + train.size() + " and " + test.size());
            }
            for (int epoch = startEpoch; epoch < config.epochs(); epoch++) {
                EpochRecord record = trainAndEvaluate(model, optimizer, loss, train, test, epoch);
                if (!workers.writes()) {
                    continue;
                }
                history.add(record);
                CheckpointInfo info = new CheckpointInfo(CheckpointInfo.FORMAT, config, epoch + 1, optimizer.steps(),
                        history);
                Checkpoint.save(outDir.resolve(LAST), model, optimizer, info);
                if (record.iou() > bestIoU) {
                    bestIoU = record.iou();
                    Checkpoint.save(outDir.resolve(BEST), model, optimizer, info);
                }
                progress.endEpoch(String.format(Locale.ROOT,
                        "epoch %d/%d: train loss %.4f, test loss %.4f, pixel accuracy %.4f, IoU %.4f, %.1f img/s, %s",
                        record.epoch(), config.epochs(), record.trainLoss(), record.testLoss(), record.pixelAccuracy(),
                        record.iou(), record.imagesPerSecond(), Progress.clock(record.seconds())));
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
        if (skipped.count() > 0) {
            progress.message(skipped.summary());
        }
        Path best = outDir.resolve(BEST);
        return new Result(history, outDir.resolve(LAST), Files.exists(best) ? best : null, report, skipped.count());
    }

    /** The prediction grid of a (1-based) epoch, relative to the run directory. */
    static String gridFile(int epoch) {
        return String.format(Locale.ROOT, "epochs/epoch-%02d.png", epoch);
    }

    /**
     * One epoch (0-based): the scheduled rate, training, then the test metrics and the prediction grid; null on a
     * worker that does not write.
     */
    private EpochRecord trainAndEvaluate(Module model, Optimizer optimizer, Loss loss, PetLoader train, PetLoader test,
                                        int epoch) throws IOException {
        double lr = config.lrScheduler().lr(epoch);
        optimizer.setLearningRate(lr);
        reseedDropout(model, epoch);
        trainEpoch(model, optimizer, loss, train, epoch);
        double seconds = progress.seconds();
        double imagesPerSecond = progress.imagesPerSecond();
        double trainLoss = progress.meanLoss();
        workers.averageBuffers(model);
        if (!workers.writes()) {
            return null;
        }

        Evaluator.Result eval = Evaluator.evaluate(model, test, loss, PredictionGrid.SAMPLES);
        PredictionGrid.write(outDir.resolve(gridFile(epoch + 1)), eval.samples());
        return new EpochRecord(epoch + 1, lr, trainLoss, eval.loss(), eval.metrics().summary(),
                eval.metrics().confusion().toArray(), seconds, imagesPerSecond);
    }

    private void trainEpoch(Module model, Optimizer optimizer, Loss loss, PetLoader train, int epoch) {
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

    /** Every dropout layer draws from (seed, epoch, layer), so a resumed epoch repeats exactly. */
    private void reseedDropout(Module model, int epoch) {
        long epochSeed = new SplittableRandom(config.seed() ^ (0x9E3779B97F4A7C15L * (epoch + 1))).nextLong();
        int layer = 0;
        for (Module m : model.namedModules().values()) {
            if (m instanceof Dropout dropout) {
                dropout.reseed(epochSeed + layer++);
            }
        }
    }
}
