# Writes the difficult JPEGs ImageDecoderTest reads. Run with /usr/bin/python3 (needs Pillow) in this directory.
# Each is 16x16; what the JDK's own reader (Java 17) does with it is noted.
#   cmyk_rgb_icc.jpg  Adobe CMYK, left half red (C0 M255 Y255 K0), right half blue (C255 M255 Y0 K0),
#                     with an sRGB profile attached: JDK fails ("Unsupported Image Type").
#   lab_icc.jpg       RGB (200, 100, 50) with a Lab ICC profile attached: JDK applies it, colours come out wrong.
#   grey.jpg          greyscale, value 128 everywhere (no profile).
from PIL import Image, ImageCms

srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()

cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
cmyk.paste((255, 255, 0, 0), (8, 0, 16, 16))
cmyk.save("cmyk_rgb_icc.jpg", quality=95, icc_profile=srgb)

Image.new("RGB", (16, 16), (200, 100, 50)).save("lab_icc.jpg", quality=95, icc_profile=lab)
Image.new("L", (16, 16), 128).save("grey.jpg", quality=95)
