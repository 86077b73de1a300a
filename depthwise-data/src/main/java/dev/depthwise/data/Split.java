package dev.depthwise.data;

/** The official Oxford-IIIT Pet splits and the list file naming each. */
public enum Split {
    TRAINVAL("trainval.txt"),
    TEST("test.txt");

    private final String listFile;

    Split(String listFile) {
        this.listFile = listFile;
    }

    public String listFile() {
        return listFile;
    }
}
