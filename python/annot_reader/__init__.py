"""annot_reader: read a revision of an annot repository straight from git, for training loops.

    import annot_reader
    rev = annot_reader.open("shapes", rev="main")
    for ex in rev.filter(split="train"):
        for a in ex.annotations:
            print(ex.path, a.label, a.box_xyxy())

Depends on pygit2 only; numpy (masks), Pillow (images), torch (annot_reader.torch) and
datasets (to_hf_dataset) are optional. See Docs/PYTHON.md."""
from .model import (KINDS, Annotation, AttributeDefinition, Box, DocumentError, Ellipse, Keypoints,
                    LabelClass, Mask, Points, Polygon, Polyline, Schema, Tag, decode_document,
                    decode_manifest)
from .revision import AnnotError, Example, ImageNotAvailable, Revision, open
from .targets import detection_target

__version__ = "0.1.0"

__all__ = [
    "open", "Revision", "Example", "Schema", "LabelClass", "AttributeDefinition",
    "Annotation", "Box", "Polygon", "Polyline", "Points", "Ellipse", "Mask", "Keypoints", "Tag", "KINDS",
    "AnnotError", "ImageNotAvailable", "DocumentError", "decode_document", "decode_manifest",
    "detection_target",
]
