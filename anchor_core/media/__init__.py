"""The media layer: finding ffmpeg, probing, decoding. The only code that spawns ffmpeg."""

from .decode import AVDecoder, VideoChunk, decode_audio, iter_video_frames
from .ffmpeg import ffmpeg_exe, finish, popen_ffmpeg, run_ffmpeg
from .probe import AudioStream, MediaProbe, VideoStream, parse_ffmpeg_info, probe

__all__ = [
    "AVDecoder",
    "AudioStream",
    "MediaProbe",
    "VideoChunk",
    "VideoStream",
    "decode_audio",
    "ffmpeg_exe",
    "finish",
    "iter_video_frames",
    "parse_ffmpeg_info",
    "popen_ffmpeg",
    "probe",
    "run_ffmpeg",
]
