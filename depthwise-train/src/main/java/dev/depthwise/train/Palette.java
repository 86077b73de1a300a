package dev.depthwise.train;

import dev.depthwise.data.Datasets;
import dev.depthwise.data.Mask;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.util.List;

/**
 * The colours of the classes in our pictures, with their names for a legend: the pet trimaps keep their
 * colours ({@link TrimapColors}); any other dataset gets Pascal VOC's palette (index 255, ignored, in VOC's
 * cream). Mask PNGs are written as palette PNGs whose indices are the classes, so they read back as masks.
 */
public record Palette(List<String> names, int[] rgb) {
    public Palette {
        names = List.copyOf(names);
    }

    /** The palette of a run's classes. */
    public static Palette of(List<String> names) {
        int[] rgb = new int[256];
        boolean pets = names.equals(Datasets.PET_CLASSES);
        for (int i = 0; i < 256; i++) {
            rgb[i] = pets && i < Mask.NUM_CLASSES ? TrimapColors.rgb(i) : vocColor(i);
        }
        return new Palette(names, rgb);
    }

    /** VOC's colour map: the bits of the index spread over the high bits of red, green and blue in turn. */
    static int vocColor(int index) {
        int r = 0;
        int g = 0;
        int b = 0;
        int c = index;
        for (int j = 7; j >= 0; j--) {
            r |= (c & 1) << j;
            g |= (c >> 1 & 1) << j;
            b |= (c >> 2 & 1) << j;
            c >>= 3;
        }
        return r << 16 | g << 8 | b;
    }

    /** The 0xRRGGBB colour of a class (or of 255, ignored). */
    public int color(int cls) {
        return rgb[cls & 0xff];
    }

    /** A palette PNG image of the classes, row-major at width × height. */
    public BufferedImage indexedImage(int[] classes, int width, int height) {
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        for (int i = 0; i < 256; i++) {
            r[i] = (byte) (rgb[i] >> 16);
            g[i] = (byte) (rgb[i] >> 8);
            b[i] = (byte) rgb[i];
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 256, r, g, b));
        img.getRaster().setPixels(0, 0, width, height, classes);
        return img;
    }

    /** A legend: one swatch and name per class, on white. */
    public BufferedImage legend() {
        int row = 18;
        int width = 24 + 8 * names.stream().mapToInt(String::length).max().orElse(4) + 16;
        BufferedImage img = new BufferedImage(Math.max(width, 80), row * names.size() + 8, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            for (int c = 0; c < names.size(); c++) {
                int y = 4 + c * row;
                g.setColor(new Color(color(c)));
                g.fillRect(4, y + 2, 14, 14);
                g.setColor(Color.DARK_GRAY);
                g.drawRect(4, y + 2, 14, 14);
                g.setColor(Color.BLACK);
                g.drawString(c + " " + names.get(c), 24, y + 14);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** The legend as HTML: a coloured square and the name of each class. */
    public String legendHtml() {
        StringBuilder h = new StringBuilder("<p>");
        for (int c = 0; c < names.size(); c++) {
            h.append(String.format("<span style=\"display:inline-block;width:1em;height:1em;background:#%06x;"
                    + "border:1px solid #666;vertical-align:middle\"></span> %d %s&nbsp;&nbsp; ", color(c), c,
                    names.get(c).replace("&", "&amp;").replace("<", "&lt;")));
        }
        return h.append("</p>\n").toString();
    }
}
