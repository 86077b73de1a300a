package dev.depthwise.data;

import java.util.Locale;

/** The dataset layouts {@link Datasets#open} understands, by their command-line names. */
public enum Layout {
    /** Oxford-IIIT Pet: {@code images/}, {@code annotations/trimaps/}, {@code annotations/trainval.txt, test.txt}. */
    PETS("pets"),
    /** {@code images/} and {@code masks/} paired by file stem; mask pixels are class indices, 255 ignored. */
    FOLDERS("folders"),
    /** Pascal VOC: {@code JPEGImages/}, {@code SegmentationClass/}, {@code ImageSets/Segmentation/}. */
    VOC("voc"),
    /** {@code images/} and {@code masks/} with RGB masks and a colour map ({@code R,G,B name} per line). */
    COLORS("colors");

    private final String cliName;

    Layout(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static Layout of(String name) {
        for (Layout l : values()) {
            if (l.cliName.equals(name.toLowerCase(Locale.ROOT))) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown layout '" + name + "' (pets, folders, voc, colors)");
    }
}
