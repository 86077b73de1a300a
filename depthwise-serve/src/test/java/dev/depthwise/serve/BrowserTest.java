package dev.depthwise.serve;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The web page in a real browser: Debian's chromium and chromedriver (installed by .ci/run), driven headless by
 * Selenium with the driver's path given, so Selenium Manager never touches the network. Skips, saying why, where
 * the browser is absent.
 */
class BrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    @Test
    void uploadingAPhotoShowsTheCutout() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
                "no browser: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
                        + " to run the browser test");
        Path target = Path.of("target");
        Files.createDirectories(target);
        Path photo = target.resolve("browser-photo.jpg");
        Files.write(photo, TestServers.photo(160, 120, "jpeg"));
        try (SegmentServer server = SegmentServer.start(TestServers.segmenter(), null, TestServers.options())) {
            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM.toFile());
            options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,900");
            ChromeDriver driver = new ChromeDriver(service, options);
            try {
                driver.get(server.url().toString());
                assertEquals("Depthwise: cut-outs", driver.getTitle());
                driver.findElement(By.id("file")).sendKeys(photo.toAbsolutePath().toString());
                new WebDriverWait(driver, Duration.ofSeconds(60)).until(d -> (Boolean) ((JavascriptExecutor) d)
                        .executeScript("const i = document.getElementById('cutout');"
                                + " return i.complete && i.naturalWidth > 0;"));
                Object width = driver.executeScript("return document.getElementById('cutout').naturalWidth;");
                assertEquals(160L, width);
                String status = driver.findElement(By.id("status")).getText();
                assertTrue(status.contains("server time"), status);
                assertTrue(driver.findElement(By.id("cutout-link")).getAttribute("href").startsWith("blob:"));
                File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
                Files.copy(shot.toPath(), target.resolve("browser-cutout.png"), StandardCopyOption.REPLACE_EXISTING);
            } finally {
                driver.quit();
            }
        }
    }
}
