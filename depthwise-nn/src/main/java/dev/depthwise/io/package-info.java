/**
 * Weights in and out, isolated at the border so a bad file fails here with one clear message
 * ({@link dev.depthwise.io.WeightFileException}, naming the file and what was expected) rather than deep
 * inside a model.
 *
 * <ul>
 *   <li>{@link dev.depthwise.io.PyTorchWeights}: state dicts saved by {@code torch.save} (PyTorch >= 1.6 zip
 *       format), unpickled with {@code net.razorvine:pickle} without running anything from the file.</li>
 *   <li>{@link dev.depthwise.io.SafeTensors}: the safetensors format, read and (atomically) written.</li>
 *   <li>{@link dev.depthwise.io.WeightFiles}: either of the two, told apart by content.</li>
 * </ul>
 *
 * <p>A state dict is a {@code Map<String, Tensor>} in file order, keyed by PyTorch's names
 * ({@code features.0.0.weight}); {@code Module.loadStateDict} takes it as it is. Test files for these
 * readers, and the PyTorch golden files, come from {@code scripts/golden/make_golden.py}.
 */
package dev.depthwise.io;
