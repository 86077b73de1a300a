package dev.depthwise.data;

/** A decoded image and its mask, both at the image's original size. */
public record PetSample(String name, RgbImage image, Mask mask) {

    /** Decodes an entry's image and trimap; a bad image, bad trimap or a size mismatch is a {@link BadFileException}. */
    public static PetSample load(PetEntry entry) throws BadFileException {
        return load(entry, new SkippedFiles(null));
    }

    /** As {@link #load(PetEntry)}, noting in {@code report} an image whose content is not what its name says. */
    public static PetSample load(PetEntry entry, SkippedFiles report) throws BadFileException {
        RgbImage image = ImageDecoder.readRgb(entry.image(), report);
        Mask mask = ImageDecoder.readTrimap(entry.trimap());
        if (mask.width() != image.width() || mask.height() != image.height()) {
            throw new BadFileException(entry.trimap(), "mask is " + mask.width() + "x" + mask.height()
                    + " but its image " + entry.image().getFileName() + " is " + image.width() + "x" + image.height());
        }
        return new PetSample(entry.name(), image, mask);
    }
}
