"""Cases: the case model, its LATTE steps and events, feedback, channels, priorities, promises."""
