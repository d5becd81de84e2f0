"""Routes of this area (filled in by the work on it)."""

from fastapi import APIRouter

router = APIRouter()
