<?xml version="1.0" encoding="UTF-8"?>
<!-- Makes rss.xml and atom.xml readable when opened in a browser: the feed's title and its
     issues, and a word on what a feed is for. Feed readers ignore it. Edit freely. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:atom="http://www.w3.org/2005/Atom">
  <xsl:output method="html" encoding="UTF-8" indent="no"/>
  <xsl:template match="/">
    <html>
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="/rss/channel/title | /atom:feed/atom:title"/></title>
        <style>body{margin:0 auto;max-width:42rem;padding:1.5rem 1.25rem;font:17px/1.7 -apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;overflow-wrap:anywhere}.note{padding:.75rem 1rem;border:1px solid #d1d9e0;border-radius:8px;color:#59636e}li{margin:.75rem 0}</style>
      </head>
      <body>
        <p class="note">This is a feed. Copy its address into a feed reader to follow new issues.</p>
        <h1><xsl:value-of select="/rss/channel/title | /atom:feed/atom:title"/></h1>
        <p><xsl:value-of select="/rss/channel/description | /atom:feed/atom:subtitle"/></p>
        <ul>
          <xsl:for-each select="/rss/channel/item">
            <li><a href="{link}"><xsl:value-of select="title"/></a><br/><small><xsl:value-of select="pubDate"/></small></li>
          </xsl:for-each>
          <xsl:for-each select="/atom:feed/atom:entry">
            <li><a href="{atom:link[@rel='alternate']/@href | atom:link[not(@rel)]/@href}"><xsl:value-of select="atom:title"/></a><br/><small><xsl:value-of select="atom:published | atom:updated"/></small></li>
          </xsl:for-each>
        </ul>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
