"""The contract: its data (models: profiles and endpoints), its rules, and the checks, small pure
functions over one exchange; the bodies and streams they read; the reports they make."""
