import { Controller, Get, Header } from '@nestjs/common';
import { PHONE_PAGE_HTML } from '../public/phone-page.js';

@Controller()
export class PhonePageController {
  /** The citizen-phone page: one HTML file with vanilla JS, embedded so the build needs no copy step. */
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  page(): string {
    return PHONE_PAGE_HTML;
  }
}
