package dev.depthwise.data;

import java.nio.file.Path;

/**
 * One line of an Oxford-IIIT Pet list file ({@code NAME CLASS-ID SPECIES BREED-ID}) with its two files.
 * Class ids run 1..37, species is 1 cat / 2 dog, breed ids count within a species.
 */
public record PetEntry(String name, int classId, int species, int breedId, Path image, Path trimap) {
}
