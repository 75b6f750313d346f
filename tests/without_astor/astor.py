"""Stands for astor when the tests run with ADC_TEST_WITHOUT_ASTOR=1 (tests/conftest.py puts
this folder first on the path, for the interpreters the tests start too): importing it
fails as it does where astor is not installed, so codegen prints with `ast.unparse`."""

raise ModuleNotFoundError("No module named 'astor' (hidden by ADC_TEST_WITHOUT_ASTOR=1)", name="astor")
