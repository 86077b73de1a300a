package dev.depthwise.data;

/** A decoded image and its mask, both at the image's original size (any layout, not only the pets). */
public record PetSample(String name, RgbImage image, Mask mask) {

    /** Decodes an entry's image and trimap; a bad image, bad trimap or a size mismatch is a {@link BadFileException}. */
    public static PetSample load(PetEntry entry) throws BadFileException {
        return load(entry, DecodeLimits.DEFAULT, new SkippedFiles(null));
    }

    /**
     * As {@link #load(PetEntry)} within {@code limits}, noting in {@code report} an image whose content is not
     * what its name says.
     */
    public static PetSample load(PetEntry entry, DecodeLimits limits, SkippedFiles report) throws BadFileException {
        return load(new SampleFiles(entry.name(), entry.image(), entry.trimap()),
                file -> ImageDecoder.readTrimap(file, limits), limits, report);
    }

    /**
     * Decodes any layout's sample within {@code limits} (the image; {@code masks} reads the mask), a size mismatch
     * naming the mask.
     */
    public static PetSample load(SampleFiles files, MaskReader masks, DecodeLimits limits, SkippedFiles report)
            throws BadFileException {
        RgbImage image = ImageDecoder.readRgb(files.image(), limits, report);
        Mask mask = masks.read(files.mask());
        if (mask.width() != image.width() || mask.height() != image.height()) {
            throw new BadFileException(files.mask(), "mask is " + mask.width() + "x" + mask.height()
                    + " but its image " + files.image().getFileName() + " is " + image.width() + "x" + image.height());
        }
        return new PetSample(files.name(), image, mask);
    }
}
