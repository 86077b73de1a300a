package dev.depthwise.nn;

import dev.depthwise.engine.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A layer or a composition of layers, read like {@code torch.nn.Module}: ordered named children, named
 * parameters and buffers whose dotted paths are the state-dict keys ({@code features.1.conv.0.0.weight}),
 * training and evaluation modes, and a {@link #toString()} that prints the tree exactly as PyTorch's
 * {@code print(model)}.
 *
 * <p>Unlike PyTorch there is no autograd tape: each module implements its own backward. {@link #forward}
 * in training mode caches what {@link #backward} needs; {@code backward(gradOut)} returns d loss / d input
 * and ACCUMULATES parameter gradients. A forward/backward pair is one step; calling forward again
 * replaces the cache.
 *
 * <p>Tensors returned by {@code forward} and {@code backward} are reused: a forward result by the module's
 * next forward, a backward result (lent from the model's pool of transient buffers, {@link #borrow}) by the
 * model's next backward. A steady training loop therefore allocates nothing; copy a result you want to keep
 * across calls.
 */
public abstract class Module {
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private boolean training = true;
    private ForwardHook forwardHook;
    /** Shared by the whole tree: {@link #addModule} hands a parent's pool to the child's subtree. */
    private TransientBuffers transientBuffers = new TransientBuffers();
    /** During a backward: its gradOut was handed over by a container as nothing else's to read. */
    private boolean gradOutHandedOver;

    /** Called after a module's forward; used by {@link Summary} to see every layer's output shape. */
    @FunctionalInterface
    public interface ForwardHook {
        void afterForward(Module module, Tensor input, Tensor output);
    }

    // ---- computation ----

    /** Runs this module; in training mode also caches what {@link #backward} needs. */
    public final Tensor forward(Tensor x) {
        Tensor y;
        try {
            y = computeForward(x);
        } catch (LayerInputException e) {
            throw e.within(this);
        } catch (IllegalArgumentException e) {
            throw new LayerInputException(this, e);
        }
        if (forwardHook != null) {
            forwardHook.afterForward(this, x, y);
        }
        return y;
    }

    /** d loss / d input for the last training-mode forward; parameter gradients are accumulated. */
    public final Tensor backward(Tensor gradOut) {
        TransientBuffers pool = transientBuffers;
        gradOutHandedOver = pool.takeHandedOver(gradOut);
        pool.enterBackward(gradOut);
        try {
            return computeBackward(gradOut);
        } finally {
            gradOutHandedOver = false;
            pool.exitBackward();
        }
    }

    /**
     * Tells this module that nothing will read the gradient of its input, as for a model whose input is the training
     * images (PyTorch computes none for an input without {@code requires_grad}): the layer that alone reads the input
     * then leaves it out (a conv saves one of its two products), and {@link #backward} returns null. A container
     * passes this on to the child that alone reads its input; by default every input gradient is computed.
     */
    public void skipInputGradient() {
    }

    /** The forward computation; subclasses implement this, callers use {@link #forward}. */
    protected abstract Tensor computeForward(Tensor x);

    /** The backward computation; subclasses implement this, callers use {@link #backward}. */
    protected abstract Tensor computeBackward(Tensor gradOut);

    /**
     * Multiply-adds of one forward pass of this module alone (not its children) for the given shapes.
     * Counted as weight elements times output positions (conv) or in × out per sample (linear);
     * BatchNorm, activations, biases and pooling count 0. This rule gives torchvision's 300.8M for
     * MobileNetV2 at 224 (300,774,272 exactly).
     */
    public long macs(int[] inputShape, int[] outputShape) {
        return 0;
    }

    /**
     * Describes this module's eval-mode forward pass as nodes of the inference compiler's graph: a layer calls the
     * node it is, a composite lowers its children ({@link Lowering#lower(String, Module, Lowering.Value)}) and
     * joins their values as its forward does. Without an override, compiling a model that holds this module fails
     * naming it and its path.
     */
    public Lowering.Value lower(Lowering g, Lowering.Value x) {
        throw g.cannotLower(this);
    }

    public void setForwardHook(ForwardHook hook) {
        this.forwardHook = hook;
    }

    // ---- structure ----

    /** Adds a child under {@code name}; order of registration is the order of printing and of keys. */
    protected final <M extends Module> M addModule(String name, M child) {
        checkName(name);
        if (children.containsKey(name) || parameters.containsKey(name) || buffers.containsKey(name)) {
            throw new IllegalArgumentException(typeName() + ": name '" + name + "' is already used");
        }
        children.put(name, child);
        child.train(training);
        if (sharesBuffers()) {
            for (Module m : child.namedModules().values()) {
                m.transientBuffers = transientBuffers;
            }
        }
        return child;
    }

    protected final Parameter addParameter(String name, Parameter p) {
        checkName(name);
        if (parameters.putIfAbsent(name, p) != null) {
            throw new IllegalArgumentException(typeName() + ": parameter '" + name + "' is already registered");
        }
        return p;
    }

    /** A non-trained tensor saved in the state dict (BatchNorm's running statistics). */
    protected final Tensor addBuffer(String name, Tensor t) {
        checkName(name);
        if (buffers.putIfAbsent(name, t) != null) {
            throw new IllegalArgumentException(typeName() + ": buffer '" + name + "' is already registered");
        }
        return t;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(typeName() + ": invalid member name '" + name + "'");
        }
    }

    /** The direct children in registration order (unmodifiable). */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** This module (key "") and all descendants by dotted path, depth first, as PyTorch's named_modules. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", this, out);
        return out;
    }

    private static void collectModules(String prefix, Module m, Map<String, Module> out) {
        out.put(prefix, m);
        for (var e : m.children.entrySet()) {
            collectModules(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
        }
    }

    /** True for a module without children (a layer, in summary terms). */
    public final boolean isLeaf() {
        return children.isEmpty();
    }

    /** This module's own parameters, not its children's. */
    public final Map<String, Parameter> ownParameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** Every parameter by state-dict key, in PyTorch's order. */
    public final LinkedHashMap<String, Parameter> namedParameters() {
        LinkedHashMap<String, Parameter> out = new LinkedHashMap<>();
        namedModules().forEach((path, m) -> m.parameters.forEach((n, p) -> out.put(key(path, n), p)));
        return out;
    }

    public final List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Every buffer by state-dict key. */
    public final LinkedHashMap<String, Tensor> namedBuffers() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        namedModules().forEach((path, m) -> m.buffers.forEach((n, b) -> out.put(key(path, n), b)));
        return out;
    }

    /**
     * Parameters and buffers by key, in PyTorch's {@code state_dict()} order (per module: parameters,
     * then buffers, then children). The tensors are the live ones, not copies.
     */
    public final LinkedHashMap<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        namedModules().forEach((path, m) -> {
            m.parameters.forEach((n, p) -> out.put(key(path, n), p.value()));
            m.buffers.forEach((n, b) -> out.put(key(path, n), b));
        });
        return out;
    }

    private static String key(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /**
     * Copies values from {@code state} into this module's parameters and buffers. Shapes must match
     * (a scalar may come as shape [] or [1]). With {@code strict}, missing and unexpected keys are errors
     * too; without, they are ignored. Nothing is copied unless everything fits.
     *
     * @throws StateDictException listing every missing, unexpected and mis-shaped key
     */
    public final void loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (var e : own.entrySet()) {
            Tensor given = state.get(e.getKey());
            if (given == null) {
                missing.add(e.getKey());
            } else if (!sameShape(given.shape(), e.getValue().shape())) {
                mismatched.add(e.getKey() + ": checkpoint " + given.shapeString() + ", model "
                        + e.getValue().shapeString());
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String k : state.keySet()) {
            if (!own.containsKey(k)) {
                unexpected.add(k);
            }
        }
        if (!mismatched.isEmpty() || (strict && (!missing.isEmpty() || !unexpected.isEmpty()))) {
            throw new StateDictException(typeName(), missing, unexpected, mismatched);
        }
        own.forEach((k, t) -> {
            Tensor given = state.get(k);
            if (given != null) {
                t.copyFrom(given);
            }
        });
    }

    private static boolean sameShape(int[] a, int[] b) {
        if (Arrays.equals(a, b)) {
            return true;
        }
        boolean scalarA = a.length == 0 || (a.length == 1 && a[0] == 1);
        boolean scalarB = b.length == 0 || (b.length == 1 && b[0] == 1);
        return scalarA && scalarB;
    }

    // ---- modes and training helpers ----

    /** Sets training (batch statistics, dropout, caching for backward) or evaluation mode recursively. */
    public Module train(boolean on) {
        training = on;
        for (Module c : children.values()) {
            c.train(on);
        }
        return this;
    }

    public final Module eval() {
        return train(false);
    }

    public final boolean isTraining() {
        return training;
    }

    public final void zeroGrad() {
        for (Parameter p : parameters()) {
            p.zeroGrad();
        }
    }

    /** Number of parameter elements (PyTorch: {@code sum(p.numel() for p in model.parameters())}). */
    public final long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.size();
        }
        return n;
    }

    public final long trainableParameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            if (p.requiresGrad()) {
                n += p.size();
            }
        }
        return n;
    }

    /**
     * Re-initialises every layer with PyTorch's default initialisation (each layer's
     * {@link #resetOwnParameters}), in module order, drawing from {@code rng}.
     */
    public final void resetParameters(RandomGenerator rng) {
        for (Module m : namedModules().values()) {
            m.resetOwnParameters(rng);
        }
    }

    /** PyTorch's default initialisation of this module's own parameters; nothing by default. */
    protected void resetOwnParameters(RandomGenerator rng) {
    }

    // ---- printing ----

    /** The class name PyTorch prints ({@code Conv2d}, {@code InvertedResidual}). */
    public String typeName() {
        return getClass().getSimpleName();
    }

    /** The part inside the parentheses, as PyTorch's {@code extra_repr()}; empty by default. */
    public String extraRepr() {
        return "";
    }

    /** The module tree exactly as PyTorch's {@code print(model)} (its {@code Module.__repr__}). */
    @Override
    public String toString() {
        List<String> extraLines = extraRepr().isEmpty() ? List.of() : List.of(extraRepr().split("\n"));
        List<String> childLines = new ArrayList<>();
        children.forEach((name, child) -> childLines.add("(" + name + "): " + indentTail(child.toString())));
        StringBuilder sb = new StringBuilder(typeName()).append('(');
        if (extraLines.size() == 1 && childLines.isEmpty()) {
            sb.append(extraLines.get(0));
        } else if (!extraLines.isEmpty() || !childLines.isEmpty()) {
            List<String> lines = new ArrayList<>(extraLines);
            lines.addAll(childLines);
            sb.append("\n  ").append(String.join("\n  ", lines)).append('\n');
        }
        return sb.append(')').toString();
    }

    /** PyTorch's {@code _addindent(s, 2)}: indents every line but the first. */
    private static String indentTail(String s) {
        return s.replace("\n", "\n  ");
    }

    // ---- buffer sharing in backward ----

    /**
     * True when {@link #backward} returns a buffer that nothing reads once the caller has consumed it (a
     * layer's own gradient buffer, not a view or a pass-through of its {@code gradOut}). Lets the activation
     * before this module compute its own input gradient in place over it.
     */
    public boolean backwardReturnsOwnBuffer() {
        return false;
    }

    /** The activation this module ends with, whose output is this module's output; null if none. */
    public ReLU trailingActivation() {
        return null;
    }

    /**
     * Declares that {@code second}'s input gradient flows only into {@code first}'s backward (a container
     * calls {@code first.backward(second.backward(g))}). If {@code first} ends with an activation and
     * {@code second} returns a buffer of its own, the activation's backward writes over that buffer instead
     * of a buffer of its own: one activation-sized buffer less per pair in training.
     *
     * <p>When {@code second} is a {@link MaxPool2d} and {@code first} ends with a ReLU running in place on a
     * BatchNorm's output, the container must also run {@code forwardConsuming(second, first.forward(x))}: the pool's
     * backward then applies the ReLU's mask itself (from the pooled values) and the BatchNorm's output, which
     * nothing else reads, lives in a borrowed buffer only until the pool has read it.
     */
    protected static void chain(Module first, Module second) {
        if (!sharesBuffers()) {
            return;
        }
        ReLU activation = first.trailingActivation();
        if (activation != null && second.backwardReturnsOwnBuffer()) {
            activation.overwriteGradOut();
        }
        if (activation != null && second instanceof MaxPool2d pool) {
            activation.handMaskTo(pool);
        }
    }

    /** Set while {@link #buildWithoutSharedBuffers} runs, on its thread only. */
    private static final ThreadLocal<Boolean> BUILDING_UNSHARED = ThreadLocal.withInitial(() -> false);

    /**
     * Builds a model whose modules keep every buffer to themselves: no {@link #chain} shares, a pool of transient
     * buffers per module instead of one per model, nothing recomputed for backward. Results are bitwise the same
     * either way (a test checks it); this is for ruling out aliasing when debugging a new layer.
     */
    public static <M extends Module> M buildWithoutSharedBuffers(java.util.function.Supplier<M> build) {
        BUILDING_UNSHARED.set(true);
        try {
            return build.get();
        } finally {
            BUILDING_UNSHARED.set(false);
        }
    }

    /** False while a model is built by {@link #buildWithoutSharedBuffers}. */
    public static boolean sharesBuffers() {
        return !BUILDING_UNSHARED.get();
    }

    // ---- transient buffers: one pool per model, lent by lifetime ----

    /**
     * A tensor of {@code shape} borrowed from the model's shared pool, for a value that dies within the pass (an
     * input gradient, a recomputed activation); not zeroed. It goes back with {@link #giveBack}, or through
     * {@link #backwardConsuming} for a gradient handed to the layer before; what a pass leaves borrowed is taken
     * back when the model's next backward starts.
     */
    protected final Tensor borrow(int... shape) {
        return transientBuffers.lend(shape);
    }

    /** Returns {@code t}'s array to the pool if the pool lent it (anything else is left alone). */
    protected final void giveBack(Tensor t) {
        transientBuffers.giveBack(t.data());
    }

    /**
     * {@code child.forward(activation)} for an activation another child's forward returned and that nothing else
     * reads, in this pass or in backward: once consumed its array goes back to the pool, if it was borrowed (see
     * {@link #chain}).
     */
    protected final Tensor forwardConsuming(Module child, Tensor activation) {
        Tensor result = child.forward(activation);
        if (result.data() != activation.data()) {
            giveBack(activation);
        }
        return result;
    }

    /**
     * {@code child.backward(gradient)} for a gradient that another child's backward returned and that nothing reads
     * afterwards: once consumed its array goes back to the pool (unless the child handed that array on as its own
     * result, as an activation writing in place does). Never use it on this module's own {@code gradOut}, which its
     * caller owns.
     */
    protected final Tensor backwardConsuming(Module child, Tensor gradient) {
        transientBuffers.handOver(gradient.data());
        Tensor result;
        try {
            result = child.backward(gradient);
        } finally {
            // A child outside this pool (a module not registered as a child) never took the mark: clear it here,
            // so no later backward in this pool mistakes the same array for one handed over to it.
            transientBuffers.handOver(null);
        }
        if (result == null || result.data() != gradient.data()) {
            giveBack(gradient);
        }
        return result;
    }

    /**
     * For a backward that has finished reading its {@code gradOut} before it is done: gives that gradient's array
     * back now if the container handed it over through {@link #backwardConsuming} (nothing reads it after this
     * backward), so the rest of this backward can borrow it. Otherwise the caller still owns it and nothing happens.
     */
    protected final void giveBackConsumedGradOut(Tensor gradOut) {
        if (gradOutHandedOver) {
            gradOutHandedOver = false;
            giveBack(gradOut);
        }
    }

    /** The pool this module's tree shares (tests look at its arrays). */
    final TransientBuffers transientBuffers() {
        return transientBuffers;
    }

    /** Bytes of the arrays this model's layers share for transient tensors (input gradients, recomputed activations). */
    public final long transientBufferBytes() {
        return transientBuffers.bytes();
    }

    // ---- helpers for layers ----

    /** {@code current} if it already has {@code shape}, else a new zero tensor: reuses buffers across calls. */
    protected static Tensor reuse(Tensor current, int... shape) {
        return current != null && current.hasShape(shape) ? current : Tensor.zeros(shape);
    }

    /** Throws naming this layer when a backward comes without a training-mode forward before it. */
    protected final void requireForwardCache(Object cache) {
        if (cache == null) {
            throw new IllegalStateException(typeName() + ": backward called without a forward in training mode");
        }
    }

    /** Checks the rank of an input, naming this layer. */
    protected final void requireRank(Tensor x, int rank) {
        if (x.rank() != rank) {
            throw new IllegalArgumentException(typeName() + ": expected a rank-" + rank + " input, got "
                    + x.shapeString());
        }
    }
}
