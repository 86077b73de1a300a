/**
 * Data: files to batches of tensors. Knows nothing about models.
 *
 * <h2>The path of a sample</h2>
 * <ol>
 *   <li>{@link dev.depthwise.data.Datasets#open} opens a dataset folder in any {@link dev.depthwise.data.Layout}
 *       (the Oxford-IIIT Pet layout through {@link dev.depthwise.data.OxfordPets}, plain folders, Pascal VOC,
 *       colour masks) into a {@link dev.depthwise.data.Dataset}: class names, two splits of
 *       {@link dev.depthwise.data.SampleFiles} (no decoding yet) and a {@link dev.depthwise.data.MaskReader}.
 *       {@link dev.depthwise.data.DatasetCheck} decodes it all once and reports what is wrong.</li>
 *   <li>{@link dev.depthwise.data.ImageDecoder} decodes by content (JDK ImageIO plus TwelveMonkeys' JPEG reader),
 *       to 8-bit {@link dev.depthwise.data.RgbImage}; masks to a {@link dev.depthwise.data.Mask} of class
 *       indices (trimaps: PET 0, BACKGROUND 1, BORDER 2 from values 1, 2, 3; {@link dev.depthwise.data.Masks}
 *       for index and colour masks; 255 ignored).</li>
 *   <li>{@link dev.depthwise.data.Transforms}: resize (nearest for masks; nearest or bilinear for images),
 *       horizontal flip on both, contrast jitter on the image, float CHW in [0, 1]; the random choices come
 *       from {@link dev.depthwise.data.Augmentation}.</li>
 *   <li>{@link dev.depthwise.data.PetLoader} does all that on its own threads, ahead of training, into
 *       {@link dev.depthwise.data.Batch}es (and {@link dev.depthwise.data.EvalBatch}es with original sizes).</li>
 * </ol>
 *
 * <h2>Bad files</h2>
 * Every problem with one file (unreadable, corrupt, truncated, a mask of another size, a trimap value
 * outside 1-3) is a {@link dev.depthwise.data.BadFileException} naming it; the loader reports it once to
 * {@link dev.depthwise.data.SkippedFiles} and leaves the sample out. Readable files with a misleading
 * extension (PNG or GIF bytes behind {@code .jpg}) are read, and noted there once.
 *
 * <h2>Repeatability</h2>
 * Every random choice comes from a generator seeded by (seed, epoch, sample index) or (seed, image index):
 * shuffles, augmentations and synthetic images do not depend on thread timing or thread count.
 *
 * <h2>Getting data</h2>
 * {@link dev.depthwise.data.SyntheticPets} writes a synthetic set in the same layout;
 * {@link dev.depthwise.data.PetDownload} fetches and extracts the real one, resuming interrupted downloads.
 */
package dev.depthwise.data;
