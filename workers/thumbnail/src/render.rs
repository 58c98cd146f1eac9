//! Pictures to thumbnails: decode with the image crate (first frame of a
//! GIF), shrink to fit, encode as JPEG or WebP.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ExtendedColorType, ImageReader, Limits, Rgba, RgbaImage};

/// The encoding thumbnails are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThumbnailFormat {
    /// Lossy, small; transparency becomes white.
    Jpeg,
    /// Lossless (the image crate has no lossy WebP encoder); keeps transparency.
    Webp,
}

impl ThumbnailFormat {
    pub fn mime_type(self) -> &'static str {
        match self {
            ThumbnailFormat::Jpeg => "image/jpeg",
            ThumbnailFormat::Webp => "image/webp",
        }
    }
}

impl std::str::FromStr for ThumbnailFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "jpeg" | "jpg" => Ok(ThumbnailFormat::Jpeg),
            "webp" => Ok(ThumbnailFormat::Webp),
            other => Err(format!("thumbnail format must be jpeg or webp, not {other:?}")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Thumbnail {
    pub mime_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

/// Why a file gets no thumbnail; never an error of the worker itself.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Skip(pub String);

/// Pictures larger than this many pixels a side are refused before decoding,
/// so that a small file claiming huge dimensions cannot exhaust memory.
const MAX_SIDE: u32 = 20_000;
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;
const JPEG_QUALITY: u8 = 80;

/// A thumbnail at most `max_width` wide (and four times that high), never
/// larger than the picture itself.
pub fn render(picture: &[u8], max_width: u32, format: ThumbnailFormat) -> Result<Thumbnail, Skip> {
    let mut reader = ImageReader::new(Cursor::new(picture))
        .with_guessed_format()
        .map_err(|err| Skip(format!("cannot read the picture: {err}")))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(|err| Skip(format!("not a picture the worker can decode: {err}")))?;
    let max_width = max_width.max(1);
    let small = if image.width() > max_width || image.height() > max_width * 4 {
        image.thumbnail(max_width, max_width * 4)
    } else {
        image
    };
    encode(&small, format)
}

fn encode(image: &DynamicImage, format: ThumbnailFormat) -> Result<Thumbnail, Skip> {
    let (width, height) = (image.width(), image.height());
    let mut data = Vec::new();
    let encoded = match format {
        ThumbnailFormat::Jpeg => {
            let flat = DynamicImage::ImageRgba8(on_white(image.to_rgba8())).to_rgb8();
            JpegEncoder::new_with_quality(&mut data, JPEG_QUALITY).encode_image(&flat)
        }
        ThumbnailFormat::Webp => {
            let rgba = image.to_rgba8();
            WebPEncoder::new_lossless(&mut data).encode(rgba.as_raw(), width, height, ExtendedColorType::Rgba8)
        }
    };
    encoded.map_err(|err| Skip(format!("cannot encode the thumbnail: {err}")))?;
    Ok(Thumbnail { mime_type: format.mime_type(), width, height, data })
}

/// Blends transparent pixels onto white, for formats without transparency.
fn on_white(mut image: RgbaImage) -> RgbaImage {
    for Rgba([r, g, b, a]) in image.pixels_mut() {
        let alpha = u16::from(*a);
        let blend = |channel: u8| ((u16::from(channel) * alpha + 255 * (255 - alpha)) / 255) as u8;
        (*r, *g, *b, *a) = (blend(*r), blend(*g), blend(*b), 255);
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = RgbaImage::from_fn(width, height, |x, y| Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255]));
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(image).write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn shrinks_wide_pictures_keeping_the_aspect_ratio() {
        let thumbnail = render(&png(1000, 500), 200, ThumbnailFormat::Jpeg).unwrap();
        assert_eq!((thumbnail.width, thumbnail.height), (200, 100));
        let decoded = image::load_from_memory(&thumbnail.data).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (200, 100));
    }

    #[test]
    fn never_enlarges() {
        let thumbnail = render(&png(40, 30), 200, ThumbnailFormat::Webp).unwrap();
        assert_eq!((thumbnail.width, thumbnail.height), (40, 30));
        assert_eq!(image::guess_format(&thumbnail.data).unwrap(), image::ImageFormat::WebP);
    }

    #[test]
    fn garbage_is_skipped_not_a_panic() {
        assert!(render(b"\x89PNG\r\n\x1a\nthen nothing useful", 200, ThumbnailFormat::Jpeg).is_err());
        assert!(render(&[], 200, ThumbnailFormat::Jpeg).is_err());
    }

    #[test]
    fn transparency_turns_white_in_jpeg() {
        let image = RgbaImage::from_pixel(4, 4, Rgba([0, 0, 0, 0]));
        let flat = on_white(image);
        assert_eq!(flat.get_pixel(0, 0), &Rgba([255, 255, 255, 255]));
    }
}
