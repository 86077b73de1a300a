package dev.depthwise.cli;

import dev.depthwise.data.OxfordPets;
import dev.depthwise.data.PetDownload;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code depthwise download DIR}: the Oxford-IIIT Pet dataset, fetched, checked and extracted. */
@Command(name = "download", mixinStandardHelpOptions = true,
        description = {"Download the Oxford-IIIT Pet dataset (images.tar.gz 792 MB, annotations.tar.gz 19 MB) and extract it"
                + " into DIR. An interrupted download resumes when run again; finished parts are skipped."})
final class DownloadCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Directory to extract into (images/ and annotations/ end up there).")
    Path dir;

    @Option(names = "--base-url", paramLabel = "URL",
            description = "Fetch the archives from this URL instead of the official site (sizes then come from Content-Length).")
    URI baseUrl;

    @Override
    public Integer call() throws Exception {
        PetDownload download = baseUrl == null ? PetDownload.official(dir, System.err) : PetDownload.mirror(baseUrl, dir, System.err);
        download.run();
        OxfordPets pets = OxfordPets.open(dir);
        System.out.printf("%s is ready: %d trainval and %d test pairs%n", dir, pets.trainval().size(), pets.test().size());
        return 0;
    }
}
