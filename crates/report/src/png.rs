//! Turns captured screens (raw RGBA pixels from egui or the VM console) into PNG bytes the report
//! can embed.

use super::ReportError;
use image::ImageEncoder;
use image::codecs::png::PngEncoder;

/// Encodes `width × height` RGBA pixels (4 bytes each, row by row) as PNG.
pub fn rgba_to_png(width: u32, height: u32, rgba: Vec<u8>) -> Result<Vec<u8>, ReportError> {
    let expected = width as u64 * height as u64 * 4;
    if width == 0 || height == 0 || rgba.len() as u64 != expected {
        return Err(ReportError::Image(format!(
            "a {width}×{height} RGBA image needs {expected} bytes, got {}",
            rgba.len()
        )));
    }
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(&rgba, width, height, image::ExtendedColorType::Rgba8)
        .map_err(|e| ReportError::Image(format!("cannot encode the image as PNG: {e}")))?;
    Ok(png)
}

/// Encodes an egui screenshot (what `ViewportCommand::Screenshot` hands back) as PNG.
pub fn color_image_to_png(image: &egui::ColorImage) -> Result<Vec<u8>, ReportError> {
    let [w, h] = image.size;
    let rgba: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(|c| c.to_srgba_unmultiplied())
        .collect();
    rgba_to_png(w as u32, h as u32, rgba)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgba_round_trips_through_png() {
        let pixels: Vec<u8> = (0..3 * 2)
            .flat_map(|i| [i as u8 * 40, 255 - i as u8 * 40, 7, 255])
            .collect();
        let png = rgba_to_png(3, 2, pixels.clone()).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoded = image::load_from_memory(&png).unwrap().to_rgba8();
        assert_eq!(decoded.dimensions(), (3, 2));
        assert_eq!(decoded.into_raw(), pixels);
    }

    #[test]
    fn wrong_buffer_size_is_a_clear_error() {
        let err = rgba_to_png(4, 4, vec![0; 10]).unwrap_err().to_string();
        assert!(
            err.contains("4×4") && err.contains("64 bytes") && err.contains("10"),
            "{err}"
        );
        assert!(rgba_to_png(0, 0, vec![]).is_err());
    }

    #[test]
    fn egui_screenshots_encode() {
        let image = egui::ColorImage::new([2, 1], vec![egui::Color32::RED, egui::Color32::BLUE]);
        let png = color_image_to_png(&image).unwrap();
        let decoded = image::load_from_memory(&png).unwrap().to_rgba8();
        assert_eq!(decoded.get_pixel(0, 0).0, [255, 0, 0, 255]);
        assert_eq!(decoded.get_pixel(1, 0).0, [0, 0, 255, 255]);
    }
}
