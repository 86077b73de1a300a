package dev.depthwise.serve;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Cuts off a request body still arriving {@code limit} after the request was taken up, however fast it comes: the
 * minimum data rate alone let a client sending just over it hold one of the {@code --queue} places for hours (a
 * 20 MB upload at 1 KiB a second). Checked each time the body is read, which a trickling client causes with every
 * packet; a client that sends nothing at all is cut off by the rate and idle timeouts.
 */
final class UploadDeadlineHandler extends Handler.Wrapper {
    /** The failure a late read gets, found by {@code SegmentServer.upload} among the causes: a 408. */
    static final class Expired extends TimeoutException {
        Expired(Duration limit) {
            super("upload still arriving after " + limit.toMillis() + " ms (--upload-timeout-ms); cut off");
        }
    }

    private final Duration limit;

    UploadDeadlineHandler(Duration limit) {
        this.limit = limit;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        return super.handle(new Request.Wrapper(request) {
            @Override
            public Content.Chunk read() {
                if (System.nanoTime() - deadline > 0) {
                    return Content.Chunk.from(new Expired(limit), true);
                }
                return super.read();
            }
        }, response, callback);
    }
}
