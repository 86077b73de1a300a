/**
 * The model definitions, each reading like its source: {@link dev.depthwise.models.MobileNetV2} (torchvision),
 * {@link dev.depthwise.models.SegNet} and SegNet-DSC (Matani &amp; Singh's article),
 * {@link dev.depthwise.models.MobileNetV2Segmenter} (ours), and the {@link dev.depthwise.models.Models}
 * registry that builds them by name from a {@link dev.depthwise.models.ModelSpec}.
 */
package dev.depthwise.models;
