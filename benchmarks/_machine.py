"""The machine a benchmark ran on, printed with every result."""

import os
import platform


def describe() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.node()} | {cpu} | {os.cpu_count()} cores | Python {platform.python_version()} | {platform.system()}"
