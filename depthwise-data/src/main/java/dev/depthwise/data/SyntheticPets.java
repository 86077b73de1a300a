package dev.depthwise.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Writes a synthetic pet dataset in the Oxford-IIIT Pet layout: JPEG images, PNG trimaps with a border band
 * around the pet's outline as in the real ones, and trainval/test lists (half each, in shuffled order).
 *
 * <p>Each pet is a blobby animal silhouette (body ellipse, head, ears, legs, tail) at a random pose, scale and
 * position, with fur-like noise, stripes or spots, on a cluttered background (gradient, rectangles, circles,
 * noise) whose colours overlap the pets': colour alone does not tell pet from background, shape and texture do.
 * Image {@code i} depends only on (seed, i), so the same seed gives the same files whatever the thread count.
 *
 * <p>With a class count K, the set is in the plain-folders layout instead ({@code images/}, {@code masks/},
 * {@code classes.txt}, {@code train.txt}, {@code val.txt}): class 0 is the background and classes 1..K-1 are
 * kinds of animal ({@link #KINDS}), each image showing one; the band around the outline is 255 (ignored), as
 * VOC marks its object boundaries.
 */
public final class SyntheticPets {
    /** Six breeds: three cats (capitalised, as in Oxford) and three dogs, with their markings. */
    private static final Breed[] BREEDS = {
            new Breed("Tabby", 1, 1, Marking.STRIPES), new Breed("Spotted", 1, 2, Marking.SPOTS),
            new Breed("Plain", 1, 3, Marking.PLAIN), new Breed("striped_hound", 2, 1, Marking.STRIPES),
            new Breed("spotted_terrier", 2, 2, Marking.SPOTS), new Breed("plain_retriever", 2, 3, Marking.PLAIN),
    };

    /** The kinds of a multi-class set in class order (1, 2, ...): shape (cat or dog ears) and markings differ. */
    private static final Breed[] KINDS = {
            new Breed("tabby_cat", 1, 1, Marking.STRIPES), new Breed("spotted_dog", 2, 2, Marking.SPOTS),
            new Breed("plain_cat", 1, 3, Marking.PLAIN), new Breed("striped_dog", 2, 1, Marking.STRIPES),
            new Breed("spotted_cat", 1, 2, Marking.SPOTS), new Breed("plain_dog", 2, 3, Marking.PLAIN),
    };
    /** The most classes {@code generate --classes} makes: the background and every kind. */
    public static final int MAX_CLASSES = KINDS.length + 1;

    private SyntheticPets() {
    }

    /** The file marking a directory as generated, holding the parameters that made it. */
    public static final String MARKER = "SYNTHETIC.txt";

    /** What {@link #generate} did: wrote the images, or found them already there from the same parameters. */
    public record Result(int count, boolean alreadyThere) {
    }

    /**
     * Writes {@code count} size x size pets into {@code dir}. Idempotent: a directory generated before with the
     * same parameters is left as it is; one generated with other parameters is regenerated; a non-empty directory
     * that was not generated here (real data, say) is refused rather than overwritten.
     */
    public static Result generate(Path dir, int count, int size, long seed) throws IOException {
        return generate(dir, count, size, seed, 0);
    }

    /**
     * As {@link #generate(Path, int, int, long)}; with {@code classes} from 2 to {@link #MAX_CLASSES}, a
     * multi-class set in the plain-folders layout (0 for the pet layout).
     */
    public static Result generate(Path dir, int count, int size, long seed, int classes) throws IOException {
        if (count < 2 || size < 16) {
            throw new IllegalArgumentException("generate: need count >= 2 (one per split) and size >= 16, got count "
                    + count + ", size " + size);
        }
        if (classes != 0 && (classes < 2 || classes > MAX_CLASSES)) {
            throw new IllegalArgumentException("generate: --classes " + classes + " must be 2 to " + MAX_CLASSES
                    + " (the background and up to " + KINDS.length + " kinds of animal)");
        }
        boolean multi = classes > 0;
        String parameters = "synthetic pets: count " + count + ", size " + size + ", seed " + seed
                + (multi ? ", classes " + classes : "") + "\n";
        Path marker = dir.resolve(MARKER);
        if (Files.isRegularFile(marker)) {
            if (Files.readString(marker, StandardCharsets.UTF_8).equals(parameters)) {
                return new Result(count, true);
            }
            deleteGenerated(dir);
        } else if (Files.isDirectory(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException(dir + " is not empty and was not made by generate;"
                            + " refusing to overwrite it (choose an empty or new directory)");
                }
            }
        }
        Path images = dir.resolve(OxfordPets.IMAGES);
        Path masks = dir.resolve(multi ? "masks" : OxfordPets.TRIMAPS);
        Files.createDirectories(images);
        Files.createDirectories(masks);
        // Names first, in order (they number pets within a breed); then images in parallel, each from (seed, i).
        Breed[] breeds = multi ? KINDS : BREEDS;
        int kinds = multi ? classes - 1 : BREEDS.length;
        int[] perBreed = new int[breeds.length];
        String[] names = new String[count];
        String[] lines = new String[count];
        for (int i = 0; i < count; i++) {
            int b = breedOf(seed, i, kinds);
            Breed breed = breeds[b];
            names[i] = breed.name() + "_" + (++perBreed[b]);
            lines[i] = multi ? names[i] : names[i] + " " + (b + 1) + " " + breed.species() + " " + breed.breedId();
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
        try {
            List<Future<?>> done = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int index = i;
                done.add(pool.submit(() -> {
                    SplittableRandom rng = imageRandom(seed, index);
                    int kind = rng.nextInt(kinds);
                    Rendered r = render(breeds[kind], size, rng);
                    writeJpeg(r.rgb(), size, images.resolve(names[index] + ".jpg"));
                    byte[] mask = multi ? classMask(r.trimap(), kind + 1) : r.trimap();
                    writeTrimap(mask, size, masks.resolve(names[index] + ".png"));
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("generate interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException("generate failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        writeLists(dir, List.of(lines), seed, multi);
        if (multi) {
            StringBuilder names0 = new StringBuilder("background\n");
            for (int k = 0; k < kinds; k++) {
                names0.append(KINDS[k].name()).append('\n');
            }
            Files.writeString(dir.resolve("classes.txt"), names0, StandardCharsets.UTF_8);
        }
        Files.writeString(marker, parameters, StandardCharsets.UTF_8); // last: its presence means the set is whole
        return new Result(count, false);
    }

    private static SplittableRandom imageRandom(long seed, int index) {
        return new SplittableRandom(PetLoader.mix(seed, 0x5e1f, index));
    }

    /** The breed (or kind) is the first draw of the image's own random stream. */
    private static int breedOf(long seed, int index, int kinds) {
        return imageRandom(seed, index).nextInt(kinds);
    }

    /** Trimap values to classes: the animal's class, background 0, the outline band ignored (255). */
    private static byte[] classMask(byte[] trimap, int cls) {
        byte[] out = new byte[trimap.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (trimap[i] == 1 ? cls : trimap[i] == 2 ? 0 : Mask.IGNORE);
        }
        return out;
    }

    private static void deleteGenerated(Path dir) throws IOException {
        Files.delete(dir.resolve(MARKER));
        for (String list : List.of("classes.txt", "train.txt", "val.txt")) {
            Files.deleteIfExists(dir.resolve(list));
        }
        for (Path sub : List.of(dir.resolve(OxfordPets.IMAGES), dir.resolve(OxfordPets.TRIMAPS), dir.resolve("masks"))) {
            if (Files.isDirectory(sub)) {
                try (Stream<Path> files = Files.list(sub)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Files.delete(f);
                    }
                }
            }
        }
    }

    private static void writeLists(Path dir, List<String> lines, long seed, boolean multi) throws IOException {
        int[] order = new int[lines.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(PetLoader.mix(seed, 0x5b17, -1));
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int trainCount = (lines.size() + 1) / 2;
        boolean[] inTrain = new boolean[lines.size()];
        for (int k = 0; k < trainCount; k++) {
            inTrain[order[k]] = true;
        }
        // Lists are in generation order, like Oxford's (sorted by name within a breed).
        StringBuilder train = new StringBuilder();
        StringBuilder test = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            (inTrain[i] ? train : test).append(lines.get(i)).append('\n');
        }
        if (multi) {
            Files.writeString(dir.resolve("train.txt"), train, StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("val.txt"), test, StandardCharsets.UTF_8);
            return;
        }
        Path annotations = dir.resolve("annotations");
        Files.writeString(annotations.resolve(Split.TRAINVAL.listFile()), train, StandardCharsets.UTF_8);
        Files.writeString(annotations.resolve(Split.TEST.listFile()), test, StandardCharsets.UTF_8);
    }

    /** Interleaved RGB bytes and trimap values (1 pet, 2 background, 3 border), size x size. */
    record Rendered(byte[] rgb, byte[] trimap) {
    }

    static Rendered render(Breed breed, int size, SplittableRandom rng) {
        float[] rgb = new float[size * size * 3];
        paintBackground(rgb, size, rng);
        boolean[] pet = new Silhouette(breed.species(), size, rng).rasterise();
        paintFur(rgb, pet, size, breed.marking(), rng);
        byte[] out = new byte[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            out[i] = (byte) Math.max(0, Math.min(255, Math.round(rgb[i])));
        }
        return new Rendered(out, trimap(pet, size));
    }

    // ---- background -------------------------------------------------------------------------------------

    private static void paintBackground(float[] rgb, int size, SplittableRandom rng) {
        float[] c0 = randomColour(rng);
        float[] c1 = randomColour(rng);
        double angle = rng.nextDouble(2 * Math.PI);
        double dx = Math.cos(angle);
        double dy = Math.sin(angle);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                float t = (float) (0.5 + ((x - size / 2.0) * dx + (y - size / 2.0) * dy) / size);
                t = Math.max(0, Math.min(1, t));
                int o = (y * size + x) * 3;
                for (int c = 0; c < 3; c++) {
                    rgb[o + c] = c0[c] * (1 - t) + c1[c] * t;
                }
            }
        }
        int clutter = 3 + rng.nextInt(8);
        for (int k = 0; k < clutter; k++) {
            float[] colour = rng.nextInt(3) == 0 ? furColour(rng) : randomColour(rng);
            float alpha = (float) rng.nextDouble(0.5, 1.0);
            boolean striped = rng.nextInt(4) == 0; // some clutter has pet-like stripes, so stripes alone are no cue
            double stripeFreq = rng.nextDouble(0.2, 0.8);
            double cx = rng.nextDouble(size);
            double cy = rng.nextDouble(size);
            double rx = size * rng.nextDouble(0.05, 0.3);
            double ry = size * rng.nextDouble(0.05, 0.3);
            boolean circle = rng.nextBoolean();
            int x0 = (int) Math.max(0, cx - rx);
            int x1 = (int) Math.min(size - 1, cx + rx);
            int y0 = (int) Math.max(0, cy - ry);
            int y1 = (int) Math.min(size - 1, cy + ry);
            for (int y = y0; y <= y1; y++) {
                for (int x = x0; x <= x1; x++) {
                    double ux = (x - cx) / rx;
                    double uy = (y - cy) / ry;
                    if (circle && ux * ux + uy * uy > 1) {
                        continue;
                    }
                    float shade = striped && Math.sin((x + y) * stripeFreq) > 0.3 ? 0.5f : 1f;
                    int o = (y * size + x) * 3;
                    for (int c = 0; c < 3; c++) {
                        rgb[o + c] = rgb[o + c] * (1 - alpha) + colour[c] * shade * alpha;
                    }
                }
            }
        }
        float noise = (float) rng.nextDouble(4, 18);
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] += (float) rng.nextGaussian() * noise;
        }
    }

    private static float[] randomColour(SplittableRandom rng) {
        return new float[]{(float) rng.nextDouble(20, 235), (float) rng.nextDouble(20, 235), (float) rng.nextDouble(20, 235)};
    }

    /** Browns, greys, blacks, gingers and creams, the colours of real fur. */
    private static float[] furColour(SplittableRandom rng) {
        float[][] palette = {{120, 80, 45}, {160, 110, 60}, {90, 90, 95}, {35, 30, 30}, {210, 140, 70},
                {225, 210, 180}, {150, 150, 145}, {95, 60, 35}};
        float[] base = palette[rng.nextInt(palette.length)];
        float k = (float) rng.nextDouble(0.8, 1.15);
        return new float[]{base[0] * k, base[1] * k, base[2] * k};
    }

    // ---- the pet ------------------------------------------------------------------------------------------

    private static void paintFur(float[] rgb, boolean[] pet, int size, Marking marking, SplittableRandom rng) {
        float[] base = furColour(rng);
        float[] dark = {base[0] * 0.35f, base[1] * 0.35f, base[2] * 0.35f};
        ValueNoise coarse = new ValueNoise(6, rng);
        ValueNoise fine = new ValueNoise(Math.max(8, size / 3), rng);
        double stripeAngle = rng.nextDouble(Math.PI);
        double stripeFreq = 2 * Math.PI / (size * rng.nextDouble(0.04, 0.09));
        double sa = Math.cos(stripeAngle);
        double sb = Math.sin(stripeAngle);
        ValueNoise spots = new ValueNoise(Math.max(4, size / 10), rng);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int i = y * size + x;
                if (!pet[i]) {
                    continue;
                }
                double u = (double) x / size;
                double v = (double) y / size;
                // Fur: fine grain stretched along one axis (hair direction) over slow colour variation.
                float grain = 0.75f + 0.45f * fine.at(u * 0.5, v * 1.5) + 0.25f * coarse.at(u, v);
                float markingMix = switch (marking) {
                    case STRIPES -> Math.sin((x * sa + y * sb) * stripeFreq + 3 * coarse.at(u, v)) > 0.35 ? 1f : 0f;
                    case SPOTS -> spots.at(u, v) > 0.72 ? 1f : 0f;
                    case PLAIN -> 0f;
                };
                int o = i * 3;
                for (int c = 0; c < 3; c++) {
                    float colour = base[c] * (1 - markingMix) + dark[c] * markingMix;
                    rgb[o + c] = colour * grain + (float) rng.nextGaussian() * 6;
                }
            }
        }
    }

    /** Trimap values: 1 pet, 2 background, 3 within a few pixels of the outline (either side), as Oxford's. */
    static byte[] trimap(boolean[] pet, int size) {
        int radius = Math.max(1, Math.round(size / 64f));
        byte[] out = new byte[size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                boolean inside = pet[y * size + x];
                boolean border = false;
                for (int dy = -radius; dy <= radius && !border; dy++) {
                    for (int dx = -radius; dx <= radius; dx++) {
                        int yy = y + dy;
                        int xx = x + dx;
                        if (dx * dx + dy * dy <= radius * radius && yy >= 0 && yy < size && xx >= 0 && xx < size
                                && pet[yy * size + xx] != inside) {
                            border = true;
                            break;
                        }
                    }
                }
                out[y * size + x] = (byte) (border ? 3 : inside ? 1 : 2);
            }
        }
        return out;
    }

    /** A bilinearly interpolated grid of random values in [0, 1): smooth noise at one scale. */
    private static final class ValueNoise {
        private final int n;
        private final float[] grid;

        ValueNoise(int n, SplittableRandom rng) {
            this.n = n;
            this.grid = new float[(n + 1) * (n + 1)];
            for (int i = 0; i < grid.length; i++) {
                grid[i] = (float) rng.nextDouble();
            }
        }

        float at(double u, double v) {
            double gx = Math.floorMod((long) Math.floor(u * n), n) + (u * n - Math.floor(u * n));
            double gy = Math.floorMod((long) Math.floor(v * n), n) + (v * n - Math.floor(v * n));
            int x0 = (int) gx;
            int y0 = (int) gy;
            float fx = (float) (gx - x0);
            float fy = (float) (gy - y0);
            int w = n + 1;
            float top = grid[y0 * w + x0] * (1 - fx) + grid[y0 * w + x0 + 1] * fx;
            float bottom = grid[(y0 + 1) * w + x0] * (1 - fx) + grid[(y0 + 1) * w + x0 + 1] * fx;
            return top * (1 - fy) + bottom * fy;
        }
    }

    private static void writeJpeg(byte[] rgb, int size, Path file) throws IOException {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
        image.getRaster().setDataElements(0, 0, size, size, rgb); // pixels are given in band order, R G B
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.9f);
        Files.deleteIfExists(file);
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
    }

    private static void writeTrimap(byte[] values, int size, Path file) throws IOException {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setDataElements(0, 0, size, size, values);
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new UncheckedIOException(new IOException("no PNG writer for " + file));
        }
    }

    enum Marking { PLAIN, STRIPES, SPOTS }

    record Breed(String name, int species, int breedId, Marking marking) {
    }
}
