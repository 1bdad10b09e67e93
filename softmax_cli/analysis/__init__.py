"""Pure analyses behind the commands: functions returning result records, no printing."""
