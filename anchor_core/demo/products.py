"""A small sponsor catalogue: product images drawn locally and a Shopify product CSV export.

One title is hostile on purpose (filter-graph syntax, expansion and path tricks), so every
run of the demo exercises the safe text path of the ad renderer.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

# Columns of Shopify's product export (a subset in its order; importers must not rely on order).
SHOPIFY_COLUMNS = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
    "Option1 Name", "Option1 Value", "Variant SKU", "Variant Price", "Variant Compare At Price",
    "Image Src", "Image Position", "Image Alt Text", "Status",
]

DEMO_PRODUCTS = [
    ("trail-runner-shoes", "Trail Runner Shoes", "Grip for every pitch.", "Stride", "89.00", (40, 90, 220)),
    ("team-scarf", "Team Scarf \u2013 Home Colours", "Knitted, warm, loud.", "Terrace Co", "24.50", (30, 30, 200)),
    ("cool-shoes-hostile", "Cool Shoes',drawtext=textfile=/etc/passwd:%{pts} \\ \"quoted\"",
     "A title that tries to break out of a filter graph.", "Red Team", "59.99", (200, 160, 30)),
    ("sports-drink", "Sports Drink 6-Pack", "Electrolytes for the second half.", "Hydra", "12.00", (20, 180, 240)),
]


def draw_product_image(path: Path, colour_bgr: tuple[int, int, int], kind: int) -> None:
    h, w = 720, 720
    img = np.zeros((h, w, 3), np.uint8)
    top = np.array(colour_bgr, np.float32)
    for y in range(h):  # soft studio gradient
        img[y] = np.clip(top * (0.55 + 0.45 * y / h) + 40, 0, 255)
    accent = tuple(int(255 - c) for c in colour_bgr)
    if kind == 0:
        cv2.ellipse(img, (360, 430), (230, 110), 0, 180, 360, accent, -1)
        cv2.rectangle(img, (130, 430), (590, 480), (240, 240, 240), -1)
    elif kind == 1:
        for i in range(6):
            cv2.rectangle(img, (160 + i * 70, 120), (200 + i * 70, 620), accent if i % 2 else (245, 245, 245), -1)
    elif kind == 2:
        pts = np.array([[150, 500], [360, 250], [570, 500], [470, 560], [250, 560]], np.int32)
        cv2.fillPoly(img, [pts], accent)
    else:
        for i in range(3):
            for j in range(2):
                cv2.rectangle(img, (170 + i * 130, 220 + j * 200), (260 + i * 130, 400 + j * 200), accent, -1)
    cv2.circle(img, (600, 110), 60, (255, 255, 255), 6)
    cv2.imwrite(str(path), img)


def write_catalogue(folder: Path) -> Path:
    """Images under folder/images and folder/products_export.csv referencing them relatively."""
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    csv_path = folder / "products_export.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=SHOPIFY_COLUMNS)
        writer.writeheader()
        for i, (handle, title, body, vendor, price, colour) in enumerate(DEMO_PRODUCTS):
            img = images / f"{handle}.png"
            draw_product_image(img, colour, i)
            writer.writerow({
                "Handle": handle, "Title": title, "Body (HTML)": f"<p>{body}</p>", "Vendor": vendor,
                "Product Category": "Sporting Goods", "Type": "Merch", "Tags": "demo, sponsor",
                "Published": "TRUE", "Option1 Name": "Title", "Option1 Value": "Default Title",
                "Variant SKU": handle.upper()[:12], "Variant Price": price, "Variant Compare At Price": "",
                "Image Src": f"images/{handle}.png", "Image Position": "1", "Image Alt Text": title,
                "Status": "active",
            })
            # Shopify writes extra rows per additional image with only Handle + image columns.
            writer.writerow({"Handle": handle, "Image Src": f"images/{handle}.png", "Image Position": "2"})
    return csv_path
