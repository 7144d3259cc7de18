"""GOV.UK Notify: texts and emails to one person at a time, through the official client."""
