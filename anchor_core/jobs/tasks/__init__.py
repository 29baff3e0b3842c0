"""Job kinds, one module each: `tasks/{kind with _ for -}.py` defines `TASK = Task(...)`.

Adding a kind (say `products-sync`) is one new file here; nothing else changes.
"""
