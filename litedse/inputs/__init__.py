"""Reading user input: instance files (schema, presets, validation), the design-space axes,
key-path overrides and design classes. The only wing that reads files of the user's."""
