package dev.depthwise.train;

import dev.depthwise.data.BadFileException;
import dev.depthwise.data.DecodeLimits;
import dev.depthwise.data.ImageDecoder;
import dev.depthwise.data.Interpolation;
import dev.depthwise.data.PngEncoder;
import dev.depthwise.data.Datasets;
import dev.depthwise.data.RgbImage;
import dev.depthwise.data.Transforms;
import dev.depthwise.engine.OneLine;
import dev.depthwise.engine.Tensor;
import dev.depthwise.engine.op.UpsampleOp;
import dev.depthwise.io.AtomicFiles;
import dev.depthwise.nn.Module;
import dev.depthwise.nn.inference.Predictor;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Segments images of any size with a trained model: the image is resized to the model's training size
 * (nearest, as in training), the logits are upsampled bilinearly back to the image's original size, and
 * each pixel takes its most likely class. Upsampling the logits rather than the label map gives smooth
 * pet outlines on large photos.
 *
 * <p>Outputs per image {@code NAME.mask.png} (a palette PNG: its indices are the classes, its colours the
 * run's {@link Palette}), {@code NAME.overlay.png} (the photo with the classes blended over it) and, on
 * request, {@code NAME.cutout.png}: the kept classes on a transparent background (by default every class but
 * the background); for the pet trimaps the pet with its edges soft-matted ({@link AlphaMatte}); and one
 * {@code legend.png} naming the colours.
 */
public final class Segmenter {
    private static final float OVERLAY_ALPHA = 0.45f;

    /** Cut-out opacity of the trimap classes by class alone: pet opaque, border band half, background clear. */
    private static final int[] TRIMAP_ALPHA = {255, 0, 128};

    private final Module model;
    private final Predictor predictor;
    private final int size;
    private final Palette palette;
    private final int[] alphaByClass;
    private final boolean flipTta;

    /** A segmentation of one image at its original resolution: classes row by row. */
    public record Segmentation(int width, int height, int[] classes) {
    }

    /** What {@link #segmentFiles} did. */
    public record Summary(List<Path> written, List<String> skipped) {
    }

    /** A segmenter of the pet trimap classes; @param size the square input size the model was trained at */
    public Segmenter(Module model, int size) {
        this(model, size, Datasets.PET_CLASSES);
    }

    /** A segmenter of the named classes; the cut-out keeps every class but the background (class 0). */
    public Segmenter(Module model, int size, List<String> classNames) {
        this(model, new Predictor(model), size, Palette.of(classNames), defaultAlpha(classNames), false);
    }

    private Segmenter(Module model, Predictor predictor, int size, Palette palette, int[] alphaByClass,
                      boolean flipTta) {
        this.model = model;
        this.predictor = predictor; // the compiled inference plan: BatchNorm folded, fused kernels
        this.size = size;
        this.palette = palette;
        this.alphaByClass = alphaByClass;
        this.flipTta = flipTta;
    }

    private static int[] defaultAlpha(List<String> names) {
        if (names.equals(Datasets.PET_CLASSES)) {
            return TRIMAP_ALPHA.clone();
        }
        int[] alpha = new int[names.size()];
        Arrays.fill(alpha, 1, alpha.length, 255);
        return alpha;
    }

    /**
     * A segmenter for a training checkpoint: its model, image size and class names, and flip test-time
     * augmentation when the run used the small-data recipe.
     */
    public static Segmenter fromCheckpoint(Path checkpoint) throws IOException {
        Checkpoint.Contents c = Checkpoint.read(checkpoint);
        RunConfig config = c.info().config();
        return new Segmenter(c.model(), config.imageSize(), config.classNames()).withFlipTta(config.flipTta());
    }

    /** The same segmenter, averaging each image's logits with its mirror image's when {@code flip}. */
    public Segmenter withFlipTta(boolean flip) {
        return new Segmenter(model, predictor, size, palette, alphaByClass, flip);
    }

    /** The same segmenter whose cut-outs keep only the named classes, opaque. */
    public Segmenter keeping(List<String> classNames) {
        int[] alpha = new int[palette.names().size()];
        for (String name : classNames) {
            int c = DatasetConfig.classIndex(palette.names(), name);
            if (c < 0) {
                throw new IllegalArgumentException("--keep: 'none' keeps nothing; name classes (" 
                        + String.join(", ", palette.names()) + ")");
            }
            alpha[c] = 255;
        }
        return new Segmenter(model, predictor, size, palette, alpha, flipTta);
    }

    public Palette palette() {
        return palette;
    }

    /** A segmenter sharing this one's model (weights), with plans of its own: for another thread. */
    public Segmenter copy() {
        return new Segmenter(model, new Predictor(model), size, palette, alphaByClass, flipTta);
    }

    public Segmentation segment(RgbImage image) {
        return segmentAll(List.of(image)).get(0);
    }

    /**
     * Segments the images in forward passes of {@link #passSize} images, each at its own size; the same as one by
     * one.
     */
    public List<Segmentation> segmentAll(List<RgbImage> images) {
        List<Segmentation> out = new ArrayList<>(images.size());
        for (int from = 0; from < images.size(); ) {
            int n = passSize(images.size() - from);
            out.addAll(segmentPass(images.subList(from, from + n)));
            from += n;
        }
        return out;
    }

    private List<Segmentation> segmentPass(List<RgbImage> images) {
        int n = images.size();
        int plane = size * size;
        Tensor x = Tensor.zeros(n, 3, size, size);
        for (int i = 0; i < n; i++) {
            Transforms.toChw(Transforms.resize(images.get(i), size, size, Interpolation.NEAREST), x.data(), i * 3 * plane);
        }
        Tensor logits = FlipTta.logits(predictor, x, flipTta);
        int classes = logits.c();
        List<Segmentation> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            RgbImage image = images.get(i);
            Tensor one = Tensor.zeros(1, classes, size, size);
            System.arraycopy(logits.data(), i * classes * plane, one.data(), 0, classes * plane);
            Tensor full = Tensor.zeros(1, classes, image.height(), image.width());
            UpsampleOp.bilinear(one, full);
            out.add(new Segmentation(image.width(), image.height(), SegmentationMetrics.argmax(full)));
        }
        return out;
    }

    /**
     * How many of {@code waiting} images the next forward pass takes: 1, or the largest power of two from 4 up that
     * is not above {@code waiting}. Batches of up to 8 (a server's dynamic batches, a Spark partition's last) so need
     * only three compiled plans (what {@link Predictor} keeps), and no pass computes padding: a batch of 5 runs as
     * 4 + 1, where padding it to 8 spent three images' model time on zeros. On a CPU an image costs the model about
     * as much alone as in a batch (bench serve prints both), so the split loses nothing.
     */
    static int passSize(int waiting) {
        return waiting < 4 ? 1 : Integer.highestOneBit(waiting);
    }

    /**
     * Segments every image given (files, or directories whose image files are taken in name order) and
     * writes the PNGs into {@code outDir}. A file that cannot be decoded is skipped with a warning line on
     * {@code log} and listed in the summary; the others go on.
     */
    public Summary segmentFiles(List<Path> inputs, Path outDir, boolean cutout, DecodeLimits limits, PrintStream log)
            throws IOException {
        return segmentFiles(inputs, outDir, cutout ? AlphaMatte.Mode.SOFT : null, limits, log);
    }

    /** As above; {@code cutoutAlpha} null writes no cut-outs, else how their alpha is made. */
    public Summary segmentFiles(List<Path> inputs, Path outDir, AlphaMatte.Mode cutoutAlpha, DecodeLimits limits,
                                PrintStream log)
            throws IOException {
        List<Path> files = expand(inputs); // a mistyped input fails before the output directory is made
        Files.createDirectories(outDir);
        List<Path> written = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        Map<String, Path> stems = new HashMap<>();
        for (Path file : files) {
            Path first = stems.putIfAbsent(Datasets.stem(file), file);
            if (first != null) {
                // photos/cat.jpg and more/cat.png would both write cat.mask.png: keep the first one's outputs.
                String problem = OneLine.of(file.toString()) + ": same name as " + OneLine.of(first.toString())
                        + ", whose outputs it would overwrite";
                log.println("warning: skipping " + problem);
                skipped.add(problem);
                continue;
            }
            RgbImage image;
            try {
                image = ImageDecoder.readPhoto(file, limits);
            } catch (BadFileException e) {
                log.println("warning: skipping " + e.getMessage());
                skipped.add(e.getMessage());
                continue;
            }
            Segmentation s = segment(image);
            String stem = Datasets.stem(file);
            written.add(writePng(maskImage(s, palette), outDir.resolve(stem + ".mask.png")));
            written.add(writePng(overlay(image, s, palette), outDir.resolve(stem + ".overlay.png")));
            if (cutoutAlpha != null) {
                written.add(writePng(cutoutOf(image, s, cutoutAlpha), outDir.resolve(stem + ".cutout.png")));
            }
        }
        if (!written.isEmpty()) {
            written.add(writePng(palette.legend(), outDir.resolve("legend.png")));
        }
        return new Summary(written, skipped);
    }

    /**
     * The image files to process for command-line arguments: files as given (decoded whatever their name),
     * directories as their image files ({@code .jpg .jpeg .png .gif .bmp}, not hidden) in name order. An entry named
     * as an image that is no file (a broken link, a FIFO) is listed too, so that decoding names it instead of its
     * leaving the run in silence.
     *
     * @throws IOException naming a path that does not exist
     */
    public static List<Path> expand(List<Path> inputs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(f -> !Files.isDirectory(f)).filter(Datasets::looksLikeImage).sorted().forEach(files::add);
                }
            } else if (Files.exists(p) || Files.isSymbolicLink(p)) {
                files.add(p);
            } else {
                throw new IOException(p + ": no such file or directory");
            }
        }
        return files;
    }

    private static Path writePng(BufferedImage img, Path file) throws IOException {
        AtomicFiles.write(file, out -> PngEncoder.write(img, out));
        return file;
    }

    /** The trimap classes as colours (a palette image whose indices are the classes). */
    public static BufferedImage maskImage(Segmentation s) {
        return maskImage(s, Palette.of(Datasets.PET_CLASSES));
    }

    /** The classes as a palette image: indices are the classes, colours the palette's. */
    public static BufferedImage maskImage(Segmentation s, Palette palette) {
        return palette.indexedImage(s.classes(), s.width(), s.height());
    }

    /** The photo with each pixel's trimap class colour blended over it. */
    public static BufferedImage overlay(RgbImage image, Segmentation s) {
        return overlay(image, s, Palette.of(Datasets.PET_CLASSES));
    }

    /** The photo with each pixel's class colour blended over it. */
    public static BufferedImage overlay(RgbImage image, Segmentation s, Palette palette) {
        BufferedImage img = new BufferedImage(s.width(), s.height(), BufferedImage.TYPE_INT_RGB);
        int[] out = pixels(img);
        byte[] rgb = image.rgb();
        int[] classes = s.classes();
        for (int i = 0; i < out.length; i++) {
            int color = palette.color(classes[i]);
            int blended = 0;
            for (int c = 0; c < 3; c++) {
                int photo = rgb[i * 3 + c] & 0xff;
                int tint = (color >> (16 - 8 * c)) & 0xff;
                blended = (blended << 8) | Math.round(photo * (1 - OVERLAY_ALPHA) + tint * OVERLAY_ALPHA);
            }
            out[i] = blended;
        }
        return img;
    }

    /**
     * The cut-out's opacity (0..1, row by row) for this segmenter's classes: the pets' own trimap classes are matted
     * at their border band as {@code mode} says ({@link AlphaMatte}); other class sets are cut out by class. What
     * {@code segment --cutout} and the server share.
     */
    public float[] alphaOf(RgbImage image, Segmentation s, AlphaMatte.Mode mode) {
        if (Arrays.equals(alphaByClass, TRIMAP_ALPHA)) {
            return AlphaMatte.alpha(image, s, mode);
        }
        float[] alpha = new float[s.classes().length];
        for (int i = 0; i < alpha.length; i++) {
            int c = s.classes()[i];
            alpha[i] = c < alphaByClass.length ? alphaByClass[c] / 255f : 0f;
        }
        return alpha;
    }

    /** The photo on a transparent background with {@link #alphaOf}'s opacity. */
    public BufferedImage cutoutOf(RgbImage image, Segmentation s, AlphaMatte.Mode mode) {
        return cutout(image, s, alphaOf(image, s, mode));
    }

    /** The pet on a transparent background, its alpha made as {@code mode} says ({@link AlphaMatte}). */
    public static BufferedImage cutout(RgbImage image, Segmentation s, AlphaMatte.Mode mode) {
        return cutout(image, s, AlphaMatte.alpha(image, s, mode));
    }

    /** The photo on a transparent background with the given opacity (0..1, row by row). */
    public static BufferedImage cutout(RgbImage image, Segmentation s, float[] alpha) {
        return withAlpha(image, s, i -> Math.round(alpha[i] * 255));
    }

    /** The photo with each pixel's opacity given by its class ({@code alphaByClass}, 0..255). */
    public static BufferedImage cutout(RgbImage image, Segmentation s, int[] alphaByClass) {
        return withAlpha(image, s, i -> s.classes()[i] < alphaByClass.length ? alphaByClass[s.classes()[i]] : 0);
    }

    private static BufferedImage withAlpha(RgbImage image, Segmentation s, java.util.function.IntUnaryOperator alphaAt) {
        BufferedImage img = new BufferedImage(s.width(), s.height(), BufferedImage.TYPE_INT_ARGB);
        int[] out = pixels(img);
        byte[] rgb = image.rgb();
        for (int i = 0; i < out.length; i++) {
            int a = alphaAt.applyAsInt(i);
            int colour = (rgb[i * 3] & 0xff) << 16 | (rgb[i * 3 + 1] & 0xff) << 8 | (rgb[i * 3 + 2] & 0xff);
            out[i] = a == 0 ? 0 : (a << 24) | colour;
        }
        return img;
    }

    /**
     * The pixels of a new TYPE_INT_RGB or TYPE_INT_ARGB image, one int each, to be written directly: setRGB goes
     * through the colour model for every pixel (a 500x500 overlay took 4.7 instead of 2.1 ms of CPU).
     */
    private static int[] pixels(BufferedImage img) {
        return ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
    }
}
