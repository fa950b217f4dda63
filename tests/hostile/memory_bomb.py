"""Grows a Python list of 100 MB buffers until memory runs out."""

hoard = []
while True:
    hoard.append(bytearray(100 * 2**20))
