"""kbcli: a bilingual knowledge base of China's technology-transfer policy (科技成果转化)."""

__version__ = "0.1.0"
