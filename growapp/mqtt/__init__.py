"""The MQTT subscriber (``flask --app growapp mqtt``): sensor readings in from a broker."""
