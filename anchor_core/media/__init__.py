"""The media layer: finding ffmpeg, probing, decoding. The only code that spawns ffmpeg."""

from .decode import AVDecoder, VideoChunk, decode_audio, iter_video_frames
from .ffmetadata import ffmetadata_chapters
from .ffmpeg import ffmpeg_exe, finish, popen_ffmpeg, run_ffmpeg
from .output import OutputFormat
from .probe import AudioStream, MediaProbe, VideoStream, parse_ffmpeg_info, probe

__all__ = [
    "AVDecoder",
    "AudioStream",
    "MediaProbe",
    "OutputFormat",
    "VideoChunk",
    "VideoStream",
    "decode_audio",
    "ffmetadata_chapters",
    "ffmpeg_exe",
    "finish",
    "iter_video_frames",
    "parse_ffmpeg_info",
    "popen_ffmpeg",
    "probe",
    "run_ffmpeg",
]
